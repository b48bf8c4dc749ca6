import Crypto

/// One part of a run spread over machines: shard `index` of `total` (1-based).
///
/// A target belongs to the shard its own string chooses, not its place in the list: the first
/// 8 bytes of the SHA-256 of the target's UTF-8 (a key the same on every machine and every
/// version) go through Lamping and Veach's jump consistent hash into `0..<total`.
/// - **Why not round-robin** (target i to shard i mod N): a list that grows, is re-sorted or
///   loses a line moves almost every target to another shard, so a resumed or re-run shard
///   would scan targets another shard already has and miss its own. Here a target's shard
///   depends on nothing but its name and N: the shards of a grown list keep their targets.
/// - **Why jump hash** and not `key mod N`: going from N to N+1 shards moves only 1/(N+1) of
///   the targets (mod N moves nearly all), so per-shard NDJSON files stay mostly valid for
///   `--resume` when a run is given more machines.
/// Shards are balanced in expectation (a 3,000-target list over 4 shards: about 750 each,
/// give or take a few dozen), not exactly.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var total: Int

    public init?(index: Int, total: Int) {
        guard (1...Self.maxTotal).contains(total), (1...total).contains(index) else { return nil }
        self.index = index
        self.total = total
    }

    /// `I/N`, as `--shard` takes it.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let total = Int(parts[1]) else { return nil }
        self.init(index: index, total: total)
    }

    public var description: String { "\(index)/\(total)" }

    /// Most shards a run is split into (the jump hash's arithmetic stays far inside Int64).
    public static let maxTotal = 1_000_000

    /// Whether `target` is this shard's.
    public func contains(_ target: String) -> Bool {
        Self.bucket(of: target, buckets: total) == index - 1
    }

    /// The 0-based shard of `target` among `buckets`.
    public static func bucket(of target: String, buckets: Int) -> Int {
        let digest = SHA256.hash(data: Array(target.utf8))
        var key: UInt64 = 0
        for byte in digest.prefix(8) { key = key << 8 | UInt64(byte) }
        return jumpHash(key: key, buckets: buckets)
    }

    /// "A Fast, Minimal Memory, Consistent Hash Algorithm" (Lamping, Veach 2014), figure 1.
    static func jumpHash(key: UInt64, buckets: Int) -> Int {
        var key = key
        var bucket: Int64 = -1
        var next: Int64 = 0
        while next < Int64(buckets) {
            bucket = next
            key = key &* 2_862_933_555_777_941_757 &+ 1
            next = Int64(Double(bucket + 1) * (Double(Int64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int(bucket)
    }

    /// Where the shard came from, for the line on stderr.
    public enum Origin: Sendable, Hashable {
        case flag
        case slurm
        case kubernetes
    }

    /// A shard setting that cannot be used (exit 64), with what to do.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The shard to scan: `--shard I/N` when given, else Slurm's job-array variables
    /// (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, plus one, of
    /// `SLURM_ARRAY_TASK_COUNT`), else a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`
    /// (0-based) of `--shard-total N`. Nil: no sharding, every target.
    ///
    /// Slurm arrays with a step or a list (`--array=1-15:2`, `--array=1,4,9`) do not number
    /// their tasks 0..<count from the minimum (`SLURM_ARRAY_TASK_MAX` - `_MIN` + 1 is not
    /// `_COUNT`, or `_STEP` is not 1): those are refused rather than leaving targets to no task;
    /// give `--shard` from the task's own arithmetic instead. When both Slurm's and Kubernetes'
    /// variables are set, Slurm's are used.
    public static func select(flag: String?, shardTotal: Int?, environment: [String: String]) throws(Problem) -> (shard: Shard, origin: Origin)? {
        if flag != nil, let shardTotal {
            throw Problem(description: "--shard-total \(shardTotal) goes with JOB_COMPLETION_INDEX; with --shard I/N the N says it: give one of them")
        }
        if let flag {
            guard let shard = Shard(flag) else {
                throw Problem(description: "--shard \(flag): give I/N with 1 <= I <= N <= 1000000, e.g. --shard 2/8")
            }
            return (shard, .flag)
        }
        if let id = environment["SLURM_ARRAY_TASK_ID"], !id.isEmpty {
            func number(_ key: String) throws(Problem) -> Int? {
                guard let text = environment[key], !text.isEmpty else { return nil }
                guard let value = Int(text), value.magnitude <= 1 << 40 else {
                    throw Problem(description: "\(key) is \(text), not a task number; run under sbatch --array, or give --shard I/N")
                }
                return value
            }
            guard let task = try number("SLURM_ARRAY_TASK_ID"), let count = try number("SLURM_ARRAY_TASK_COUNT") else {
                throw Problem(description: "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; run under sbatch --array (Slurm 17.02 or later sets both), or give --shard I/N")
            }
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let maximum = try number("SLURM_ARRAY_TASK_MAX") ?? minimum + count - 1
            let step = try number("SLURM_ARRAY_TASK_STEP") ?? 1
            // Tasks must be numbered minimum, minimum + 1, ... minimum + count - 1: an array with a
            // step or a list of indices would leave shards to no task.
            guard step == 1, maximum - minimum + 1 == count, let shard = Shard(index: task - minimum + 1, total: count) else {
                throw Problem(description: "the Slurm array (task \(task), min \(minimum), max \(maximum), count \(count), step \(step)) does not number its tasks \(minimum)...\(minimum + count - 1) one by one: arrays with a step or a list of indices cannot be mapped onto shards; use --array=1-N, or give --shard I/N")
            }
            return (shard, .slurm)
        }
        if let text = environment["JOB_COMPLETION_INDEX"], !text.isEmpty {
            guard let index = Int(text), (0..<maxTotal).contains(index) else {
                throw Problem(description: "JOB_COMPLETION_INDEX is \(text), not an index from 0; give --shard I/N")
            }
            guard let shardTotal else {
                throw Problem(description: "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job), but not how many shards there are: add --shard-total N with N the Job's completions (or --shard 1/1 to scan every target)")
            }
            guard let shard = Shard(index: index + 1, total: shardTotal) else {
                throw Problem(description: "JOB_COMPLETION_INDEX \(index) is not below --shard-total \(shardTotal): make --shard-total the Job's completions")
            }
            return (shard, .kubernetes)
        }
        if let shardTotal {
            throw Problem(description: "--shard-total \(shardTotal) needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) to say which shard this is; elsewhere give --shard I/\(shardTotal)")
        }
        return nil
    }
}
