/// The answer for one installation and patch, or for a whole target (domain.md, "Verdicts").
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// The patch's files are all at or above its versions, intact.
    case upToDate = "up-to-date"
    /// The product fits and a file the patch installs is older, or damaged.
    case patchNeeded = "patch-needed"
    /// The product needs something first (Outlook 97 8.0; another language).
    case blocked
    /// The product the patch is for is not there.
    case notApplicable = "not-applicable"
    /// A person must look (unknown build, disagreeing copies, missing or unreadable files, a limit hit).
    case review
    /// The target itself could not be read.
    case error

    /// Exit status for scripts: 0 fine, 1 patch needed, 2 blocked or review, 3 error.
    public var exitStatus: Int32 {
        switch self {
        case .upToDate, .notApplicable: 0
        case .patchNeeded: 1
        case .blocked, .review: 2
        case .error: 3
        }
    }

    /// Rank used to pick a target's verdict from its installations': the exit-status order,
    /// and within one status `review` before `blocked` (it asks a person to look) and
    /// `up-to-date` before `not-applicable` (something was found and checked).
    public var severity: Int {
        switch self {
        case .notApplicable: 0
        case .upToDate: 1
        case .patchNeeded: 2
        case .blocked: 3
        case .review: 4
        case .error: 5
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }
}

/// What one file's check found (domain.md, "Per file").
public enum FileStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// At or above the patch's version, intact.
    case patched
    /// Older than the patch's version.
    case outdated
    /// Not a PE image, truncated, or its checksum disagrees with its bytes.
    case damaged
    /// The patch installs it, and it is not where it belongs.
    case missing
    /// Present and intact, but its version cannot be read.
    case unknown
    /// Could not be read (special file, link, permission, I/O error, size limit).
    case unreadable
    /// Inventoried; no rule applies.
    case ok
}

/// One reason behind a verdict: which rule, what was found, what was expected.
public struct Reason: Sendable, Hashable, Codable {
    /// Stable rule identifier scripts can match (`file-outdated`, `prerequisite-missing`, ...).
    public var rule: String
    /// The verdict this reason argues for.
    public var verdict: Verdict
    /// A sentence for people.
    public var message: String
    public var found: String?
    public var expected: String?
    /// Path inside the target the reason is about, when it is about one file or folder.
    public var path: String?

    public init(rule: String, verdict: Verdict, message: String, found: String? = nil, expected: String? = nil, path: String? = nil) {
        self.rule = rule
        self.verdict = verdict
        self.message = message
        self.found = found
        self.expected = expected
        self.path = path
    }
}
