import Foundation
import GRDB

/// The history store: a SQLite file (``StoreSchema``) that keeps every run written with
/// `--store`, for `patchaudit history` and `patchaudit diff`, and for `sqlite3` or Datasette.
///
/// Several processes may use one store at once: it is in WAL mode (readers never wait), each
/// run is added in one short transaction at its end (``RunRecorder``), and a writer that finds
/// the store locked waits up to ``busyTimeout`` for it.
public final class AuditStore: Sendable {
    /// How long a writer waits for another one to finish its transaction, unless told otherwise.
    public static let defaultBusyTimeout: TimeInterval = 60

    /// The store's path, as given.
    public let path: String
    /// How long this store's writes wait for another writer.
    public let busyTimeout: TimeInterval
    let queue: DatabaseQueue

    /// Why a store cannot be used. ``Code`` tells the exit status: ``Code/notAStore`` and
    /// ``Code/newerSchema`` are the file's content (65), the others reading or writing it (74).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public enum Code: Sendable {
            /// The file is not SQLite, or is SQLite of another program.
            case notAStore
            /// A later patchaudit has changed its tables.
            case newerSchema
            /// It cannot be opened, read or written (permission, I/O, disk full, locked too long).
            case unusable
            /// `history` or `diff` named a store that does not exist.
            case missing
            /// `diff` named a run the store does not have, or there are fewer than two.
            case noSuchRun
        }
        public var code: Code
        public var description: String
        public init(_ code: Code, _ description: String) {
            self.code = code
            self.description = description
        }
    }

    /// Opens the store at `path`, creating it when it does not exist (`create`) and bringing
    /// its tables up to this version's (``StoreSchema/migrator``).
    ///
    /// Refused, with nothing written: a file that is not SQLite, a SQLite database of another
    /// program (one with tables but without patchaudit's `application_id`), a store whose
    /// tables a later patchaudit has changed.
    /// - Parameter busyTimeout: how long a write waits for another process's transaction.
    /// - Throws: ``Problem``.
    public init(path: String, create: Bool, busyTimeout: TimeInterval = AuditStore.defaultBusyTimeout) throws(Problem) {
        self.path = path
        self.busyTimeout = busyTimeout
        var exists = stat()
        if stat(path, &exists) != 0 {
            guard create else {
                throw Problem(.missing, "the store \(path) does not exist; a run writes one with `patchaudit scan ... --store \(path)`")
            }
        } else if (exists.st_mode & S_IFMT) != S_IFREG {
            throw Problem(.notAStore, "\(path) is not a regular file, so it is not a patchaudit store; name a new file or an existing store")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "patchaudit-store"
        // `history` and `diff` only read: a store on read-only media, or another user's, is
        // listed, and a file that is not yet a store is never made one.
        configuration.readonly = !create
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Self.problem(error, path: path, doing: "open", busyTimeout: busyTimeout)
        }
        if !create {
            do {
                try queue.inDatabase { db in
                    let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                    guard application == StoreSchema.applicationID, try StoreSchema.migrator.hasCompletedMigrations(db) else {
                        throw Problem(.notAStore, "\(path) is not a patchaudit store (or one a later or an unfinished run left without its tables); name a store that `scan --store` wrote")
                    }
                    if try StoreSchema.migrator.hasBeenSuperseded(db) {
                        throw Problem(.newerSchema, "\(path) was written by a later patchaudit; use that version to read it")
                    }
                }
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Self.problem(error, path: path, doing: "read", busyTimeout: busyTimeout)
            }
            return
        }
        // Several runs may create one store at once: the first makes it a store while the
        // others wait (an flock on the store's folder), so none of them sees a store half made
        // and takes it for another program's database.
        let creation = Self.lockForCreation(path, timeout: busyTimeout)
        defer { if creation >= 0 { flock(creation, LOCK_UN); close(creation) } }
        do {
            try queue.inDatabase { db in
                // Checked before anything is written: the file may be another program's.
                let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if application != StoreSchema.applicationID && !(application == 0 && tables == 0) {
                    throw Problem(.notAStore, "\(path) is a SQLite database of another program (application_id \(application), \(tables) schema entries), not a patchaudit store; name a new file or an existing store")
                }
                if tables > 0, try StoreSchema.migrator.hasBeenSuperseded(db) {
                    let applied = try StoreSchema.migrator.appliedIdentifiers(db).sorted().joined(separator: ", ")
                    throw Problem(.newerSchema, "\(path) was written by a later patchaudit (its schema has \(applied); this one knows \(StoreSchema.migrator.migrations.joined(separator: ", "))); use that version, or another store")
                }
                // A store is written by several processes at once: readers must not wait.
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
                // A run's pending rows spill to a temporary file, not memory.
                try db.execute(sql: "PRAGMA temp_store = FILE")
            }
            // Only a store that lacks a migration is written to here: a store in use by another
            // run is opened without waiting for its lock.
            if try !queue.read({ try StoreSchema.migrator.hasCompletedMigrations($0) }) {
                try migrate()
            }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Self.problem(error, path: path, doing: "read", busyTimeout: busyTimeout)
        }
    }

    /// An exclusive flock on the folder of the store at `path`, waited for up to `timeout`
    /// seconds; the descriptor, or -1 (then the open goes on unserialised, as SQLite's own
    /// locks allow).
    ///
    /// Never the database file itself: SQLite's locks are POSIX locks, which a process loses
    /// when it closes *any* descriptor of the file. A second descriptor opened and closed here
    /// let another process take itself for the last user of the store, checkpoint it and
    /// remove the WAL this one was still writing: a run reported as stored went missing.
    static func lockForCreation(_ path: String, timeout: TimeInterval) -> Int32 {
        let url = URL(fileURLWithPath: path)
        let descriptor = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return -1 }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else { close(descriptor); return -1 }
            usleep(20_000)
        }
        return descriptor
    }

    /// Applies the migrations this store lacks. Two processes creating one store at once both
    /// try; the one that finds the work done by the other goes on.
    private func migrate() throws {
        for attempt in 1...3 {
            do {
                try StoreSchema.migrator.migrate(queue)
                return
            } catch {
                if try queue.read({ try StoreSchema.migrator.hasCompletedMigrations($0) }) { return }
                if attempt == 3 { throw error }
                usleep(100_000)
            }
        }
    }

    /// The problem for a SQLite error while `doing` something with the store at `path`.
    static func problem(_ error: any Error, path: String, doing: String, busyTimeout: TimeInterval = defaultBusyTimeout) -> Problem {
        guard let database = error as? DatabaseError else {
            return Problem(.unusable, "cannot \(doing) the store \(path): \(error)")
        }
        let message = database.message ?? "\(database.resultCode)"
        switch database.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return Problem(.notAStore, "\(path) is not a SQLite database (SQLite says: \(message)), so it is not a patchaudit store; name a new file or an existing store")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return Problem(.unusable, "cannot \(doing) the store \(path): another process held it locked for more than \(busyTimeout.formatted()) s (\(message)); try again when it is done, or wait longer (PATCHAUDIT_STORE_BUSY_TIMEOUT, in seconds)")
        case .SQLITE_FULL:
            return Problem(.unusable, "cannot \(doing) the store \(path): the disk is full (\(message)); free space and try again")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN, .SQLITE_AUTH:
            return Problem(.unusable, "cannot \(doing) the store \(path): \(message); check the file and its folder are writable (SQLite writes \(path)-wal and \(path)-shm beside it)")
        default:
            return Problem(.unusable, "cannot \(doing) the store \(path): \(message)")
        }
    }

    /// Starts recording a run: its targets go to temporary tables until ``RunRecorder/commit(_:)``.
    public func recorder() throws(Problem) -> RunRecorder {
        try RunRecorder(store: self)
    }

    /// Every run, oldest first, with its counts per verdict (counted from its targets).
    public func history() throws(Problem) -> [RunInfo] {
        do {
            return try queue.read { db in
                var counts: [Int64: [String: Int]] = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT run_id, verdict, count(*) FROM targets GROUP BY run_id, verdict")
                while let row = try rows.next() {
                    counts[row[0], default: [:]][row[1]] = row[2]
                }
                return try Row.fetchAll(db, sql: """
                    SELECT id, started_at, finished_at, command, command_line, tool_version, format, fail_on,
                           targets, worst_verdict, exit_status FROM runs ORDER BY id
                    """).map { row in
                    let id: Int64 = row["id"]
                    var verdicts = Dictionary(uniqueKeysWithValues: Verdict.allCases.map { ($0.rawValue, 0) })
                    for (verdict, count) in counts[id] ?? [:] { verdicts[verdict] = count }
                    return RunInfo(id: id, startedAt: row["started_at"], finishedAt: row["finished_at"], command: row["command"],
                                   commandLine: row["command_line"], toolVersion: row["tool_version"], format: row["format"],
                                   failOn: row["fail_on"], targets: row["targets"], verdict: row["worst_verdict"],
                                   exitStatus: row["exit_status"], verdicts: verdicts)
                }
            }
        } catch {
            throw Self.problem(error, path: path, doing: "read")
        }
    }

    /// What ``RunDiff`` needs of run `id`: each target's verdict and damaged files.
    public func facts(run id: Int64) throws(Problem) -> RunFacts {
        do {
            return try queue.read { db in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [id]) != nil else {
                    throw Problem(.noSuchRun, "the store \(path) has no run \(id); `patchaudit history --store \(path)` lists its runs")
                }
                var facts = RunFacts()
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT t.id, t.target, t.verdict, f.path, f.name FROM targets t
                    LEFT JOIN files f ON f.target_id = t.id AND f.status = 'damaged' AND f.stray = 0
                    WHERE t.run_id = ? ORDER BY t.id
                    """, arguments: [id])
                var lastTarget: Int64?
                while let row = try rows.next() {
                    let targetID: Int64 = row[0]
                    let target: String = row[1]
                    let verdictText: String = row[2]
                    guard let verdict = Verdict(rawValue: verdictText) else {
                        throw Problem(.notAStore, "the store \(path), run \(id), target \(target): unknown verdict \(verdictText); was it written by a later patchaudit?")
                    }
                    let damaged: String? = row[3] ?? row[4]
                    // A target with several damaged files comes in several rows, one after the other.
                    if targetID == lastTarget {
                        if let damaged { facts.addDamaged(damaged, to: target) }
                        continue
                    }
                    facts.add(target: target, verdict: verdict, damaged: damaged.map { [$0] } ?? [])
                    lastTarget = targetID
                }
                return facts
            }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Self.problem(error, path: path, doing: "read")
        }
    }

    /// The ids of the last two runs (older first), for `diff` without run ids.
    public func lastTwoRuns() throws(Problem) -> (Int64, Int64) {
        let ids: [Int64]
        do {
            ids = try queue.read { try Int64.fetchAll($0, sql: "SELECT id FROM runs ORDER BY id DESC LIMIT 2") }
        } catch {
            throw Self.problem(error, path: path, doing: "read")
        }
        guard ids.count == 2 else {
            throw Problem(.noSuchRun, "the store \(path) has \(ids.count) run\(ids.count == 1 ? "" : "s"); diff needs two (another `scan --store \(path)`), or two ndjson result files")
        }
        return (ids[1], ids[0])
    }

    /// One run's row, for a diff's heading.
    public func run(_ id: Int64) throws(Problem) -> RunInfo {
        guard let info = try history().first(where: { $0.id == id }) else {
            throw Problem(.noSuchRun, "the store \(path) has no run \(id); `patchaudit history --store \(path)` lists its runs")
        }
        return info
    }
}

/// One run of the store, as `patchaudit history` lists it.
public struct RunInfo: Sendable, Hashable, Codable {
    public var id: Int64
    public var startedAt: String
    public var finishedAt: String
    public var command: String
    public var commandLine: String
    public var toolVersion: String
    public var format: String
    public var failOn: String?
    public var targets: Int
    /// The worst target verdict.
    public var verdict: String
    public var exitStatus: Int
    /// Targets per verdict, every verdict listed.
    public var verdicts: [String: Int]
}
