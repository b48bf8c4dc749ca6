/// One matched file as found in a target: where it is, what it is, and what it says about itself.
///
/// The inventory is the boundary between sources (directory walk, archive stream) and
/// everything after them: grouping, evaluation and reports see only these values.
public struct InventoryItem: Sendable, Hashable {
    /// Lower-case file name (`emsmdb32.dll`), the key manifests use.
    public var name: String
    /// Path inside the target, as read (escaped for display, see ``ScanPath``).
    public var path: ScanPath
    /// Size in bytes, when the file could be read.
    public var size: Int64?
    public var digests: FileDigests?
    /// What the PE reader found, when the bytes are a PE image.
    public var image: PEImageInfo?
    /// Why the bytes are not a PE image, when they are not.
    public var imageError: PEParseError?
    /// Why the bytes could not be read at all.
    public var readProblem: ReadProblem?
    /// A deleted (unallocated) entry of a disk image, listed only with `--include-deleted`:
    /// never part of an installation.
    public var deleted = false

    /// Inspects bytes read from a target: digests were computed while reading; the PE reader runs here.
    public init(name: String, path: ScanPath, content: Result<FileBytes, ReadProblem>) {
        self.name = name
        self.path = path
        switch content {
        case .failure(let problem):
            readProblem = problem
        case .success(let file):
            size = file.size
            digests = file.digests
            do {
                image = try PEReader.read(file.bytes)
            } catch {
                imageError = error
            }
        }
    }

    /// The binary file version (`VS_FIXEDFILEINFO.dwFileVersionMS/LS`), the one decisions use.
    public var fileVersion: FileVersion? { image?.version?.fixed?.fileVersion }

    /// The StringFileInfo `FileVersion` text, reported beside the binary one (it may disagree).
    public var fileVersionString: String? { image?.version?.string("FileVersion") }

    /// The first VarFileInfo translation's language (0x0409 = US English).
    public var language: UInt16? { image?.version?.translations.first?.language }

    /// Integrity findings without a reference hash: not a PE, truncation, checksum mismatch
    /// (the PE reader records a stored checksum that disagrees as a problem of its own).
    public var damage: [String] {
        if let imageError { return ["not a PE image: \(imageError)"] }
        return image?.integrityProblems.map(\.description) ?? []
    }
}
