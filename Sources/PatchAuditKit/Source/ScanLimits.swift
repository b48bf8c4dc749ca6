/// The bounds every scan keeps, whatever the input. Hitting one is reported by name
/// (``LimitHit``) and makes the target `review`, never `up-to-date`.
public struct ScanLimits: Sendable, Hashable, Codable {
    /// Largest file read, in bytes. A DLL of the Outlook 97 era is under 2 MiB.
    public var maxFileSize: Int64 = 64 << 20
    /// Directory entries looked at per target before the walk stops.
    public var maxEntries: Int = 20_000_000
    /// Directory nesting followed beneath the target's root.
    public var maxDepth: Int = 64
    /// Matched files read per target.
    public var maxMatchedFiles: Int = 10_000
    /// Skipped entries (links, FIFOs, devices) listed by path per target; the rest are counted.
    public var maxListedSkipped: Int = 100

    public init() {}
}

/// One limit that was reached while scanning a target.
public struct LimitHit: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The limit's name as the option that raises it: `max-file-size`, `max-entries`, ...
    public var limit: String
    /// The value in force.
    public var value: Int64
    /// Where and what: "stopped after 20000000 entries", "WINDOWS/SYSTEM/EMSMDB32.DLL is 80 MiB".
    public var detail: String

    public var description: String { "limit \(limit)=\(value) hit: \(detail)" }
}
