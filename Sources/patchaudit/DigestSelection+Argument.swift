import ArgumentParser
import PatchAuditKit

/// `--digests sha256,sha1,md5`: ``DigestSelection/init(list:)``.
extension DigestSelection: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(list: argument)
    }
}
