/// A non-fatal defect of a PE image: the file is readable but damaged, truncated or inconsistent.
///
/// ``PEReader`` collects these in ``PEImageInfo/integrityProblems``; an empty list means intact.
public struct PEIntegrityProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of damage was found.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `IMAGE_OPTIONAL_HEADER.SizeOfHeaders` reaches past the end of the file.
        case truncatedHeaders
        /// A section's raw data (`PointerToRawData + SizeOfRawData` in its
        /// `IMAGE_SECTION_HEADER`) or the attribute certificate table (data directory 4, a file
        /// offset) reaches past the end of the file.
        case truncatedSection
        /// A resource directory, entry, name or data block (`IMAGE_RESOURCE_DIRECTORY`,
        /// `IMAGE_RESOURCE_DATA_ENTRY`...) lies past the end of the file.
        case truncatedResource
        /// The stored, non-zero `IMAGE_OPTIONAL_HEADER.CheckSum` differs from the computed one.
        case checksumMismatch
        /// The resource tree is inconsistent: offsets outside the resource data, a cycle, too
        /// many entries, a data entry where a directory belongs (or the reverse).
        case malformedResource
    }

    /// What kind of damage was found.
    public var kind: Kind
    /// What was read and what was wrong, with offsets: "section .rsrc ends at 0x1c400, file is 0x14000 bytes".
    public var detail: String

    /// Creates a problem of `kind` described by `detail`.
    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// "truncatedSection: section .rsrc ends at 0x1c400, file is 0x14000 bytes".
    public var description: String { "\(kind.rawValue): \(detail)" }
}
