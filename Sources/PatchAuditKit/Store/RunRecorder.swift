import Foundation
import GRDB

/// Records one run into the store: each target as it is written (``record(_:)``), the run at
/// its end (``commit(_:)``).
///
/// Targets go to temporary tables on the store's connection (``StoreSchema/pendingTables``):
/// SQLite's temp schema locks nothing of the store and spills to a file, so memory stays flat
/// however many targets there are, and other runs go on writing the store meanwhile.
/// ``commit(_:)`` then copies them into the store in one `BEGIN IMMEDIATE` transaction: a run
/// killed at any moment leaves the store as it was, or with the whole run.
///
/// Recording never fails the report: the first failure (a full temporary folder, a target that
/// cannot be read back) is kept, later targets are not recorded, and ``commit(_:)`` throws it.
public final class RunRecorder: TargetRecorder, @unchecked Sendable {
    // @unchecked Sendable: `recorded` and `failure` are touched with `lock` held; the database
    // connection is GRDB's DatabaseQueue, which serializes its own use.
    private let lock = NSLock()
    private let store: AuditStore
    private var recorded = 0
    private var failure: String?

    init(store: AuditStore) throws(AuditStore.Problem) {
        self.store = store
        do {
            try store.queue.inDatabase { db in
                try db.execute(sql: StoreSchema.pendingTables)
                for name in StoreSchema.pendingNames { try db.execute(sql: "DELETE FROM temp.pending_\(name)") }
            }
        } catch {
            throw AuditStore.problem(error, path: store.path, doing: "prepare a run in")
        }
    }

    /// Targets recorded so far.
    public var count: Int { lock.withLock { recorded } }

    /// Records one target (after the ones before it).
    public func record(_ report: TargetReport) {
        lock.withLock {
            guard failure == nil else { return }
            do {
                try store.queue.inDatabase { db in
                    try db.inTransaction(.deferred) {
                        try Self.insert(report, position: recorded, into: db)
                        return .commit
                    }
                }
                recorded += 1
            } catch {
                failure = "target \(recorded + 1) (\(report.target)) could not be put in the temporary tables: \(AuditStore.problem(error, path: store.path, doing: "record a target for").description) (SQLite's temporary files go to SQLITE_TMPDIR, else TMPDIR, else /var/tmp)"
            }
        }
    }

    /// Records one target from its ndjson line (a worker's rendering, a merged file's line).
    public func record(line: [UInt8]) {
        let report: TargetReport
        do {
            report = try JSONDecoder().decode(TargetReport.self, from: Data(line))
        } catch {
            lock.withLock {
                if failure == nil { failure = "target \(recorded + 1) could not be read back from its ndjson line (\(error))" }
            }
            return
        }
        record(report)
    }

    /// What a run was, besides its targets.
    public struct Run: Sendable {
        /// `scan` or `merge`.
        public var command: String
        public var commandLine: String
        public var format: String
        public var failOn: String?
        public var startedAt: Date
        public var manifests: [ManifestUse]
        public var summary: RunSummary
        public var exitStatus: Int32

        public init(command: String, commandLine: String, format: String, failOn: String?, startedAt: Date,
                    manifests: [ManifestUse], summary: RunSummary, exitStatus: Int32) {
            self.command = command
            self.commandLine = commandLine
            self.format = format
            self.failOn = failOn
            self.startedAt = startedAt
            self.manifests = manifests
            self.summary = summary
            self.exitStatus = exitStatus
        }
    }

    /// Adds the run and every recorded target to the store in one transaction.
    /// - Parameter pause: test hook: called inside the transaction, before COMMIT.
    /// - Returns: the run's id.
    /// - Throws: ``AuditStore/Problem``: an earlier recording failure, or the transaction's;
    ///   the store is then as it was.
    @discardableResult
    public func commit(_ run: Run, pause: (@Sendable () -> Void)? = nil) throws(AuditStore.Problem) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        if let failure {
            throw AuditStore.Problem(.unusable, "the run was not stored in \(store.path): \(failure)")
        }
        let summary: String
        do {
            summary = String(decoding: try JSONReport.encoder(pretty: false).encode(run.summary), as: UTF8.self)
        } catch {
            throw AuditStore.Problem(.unusable, "the run's summary could not be encoded: \(error)")
        }
        let count = recorded
        do {
            return try store.queue.inDatabase { db in
                var runID: Int64 = 0
                try db.inTransaction(.immediate) {
                    try db.execute(sql: """
                        INSERT INTO runs (started_at, finished_at, command, command_line, tool_version, format, fail_on,
                                          targets, worst_verdict, exit_status, summary)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [Self.timestamp(run.startedAt), Self.timestamp(Date()), run.command, run.commandLine,
                                         PatchAudit.version, run.format, run.failOn, count, run.summary.worst.rawValue,
                                         run.exitStatus, summary])
                    runID = db.lastInsertedRowID
                    for (position, use) in run.manifests.enumerated() {
                        try db.execute(sql: "INSERT INTO run_manifests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                       arguments: [runID, position, use.id, use.title, use.path, use.sha256, use.signer, use.signature])
                    }
                    try Self.copyPending(into: db, run: runID)
                    let stored = try Int.fetchOne(db, sql: "SELECT count(*) FROM targets WHERE run_id = ?", arguments: [runID]) ?? -1
                    guard stored == count else {
                        throw AuditStore.Problem(.unusable, "the run would have \(stored) targets in the store, but \(count) were recorded; nothing was stored")
                    }
                    pause?()
                    return .commit
                }
                for name in StoreSchema.pendingNames { try db.execute(sql: "DELETE FROM temp.pending_\(name)") }
                return runID
            }
        } catch let problem as AuditStore.Problem {
            throw problem
        } catch {
            throw AuditStore.problem(error, path: store.path, doing: "add the run to", busyTimeout: store.busyTimeout)
        }
    }

    /// Copies the pending rows into the main tables. Ids are the pending ones shifted past the
    /// store's highest (nobody else writes while this transaction holds the write lock).
    private static func copyPending(into db: Database, run: Int64) throws {
        func base(_ table: String) throws -> Int64 { try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM main.\(table)") ?? 0 }
        let target = try base("targets"), installation = try base("installations"), evaluation = try base("evaluations")
        let file = try base("files"), reason = try base("reasons")
        try db.execute(sql: """
            INSERT INTO main.targets (id, run_id, position, target, kind, verdict, what_to_do, format)
            SELECT id + \(target), \(run), position, target, kind, verdict, what_to_do, format FROM temp.pending_targets ORDER BY id;
            INSERT INTO main.installations (id, target_id, position, installation, windows_folder, system_folder, outlook_folders, verdict)
            SELECT id + \(installation), target_id + \(target), position, installation, windows_folder, system_folder, outlook_folders, verdict
            FROM temp.pending_installations ORDER BY id;
            INSERT INTO main.evaluations (id, installation_id, manifest, verdict, product_name, product_version, product_language, product_source, what_to_do)
            SELECT id + \(evaluation), installation_id + \(installation), manifest, verdict, product_name, product_version, product_language, product_source, what_to_do
            FROM temp.pending_evaluations ORDER BY id;
            INSERT INTO main.files (id, target_id, evaluation_id, stray, deleted, name, path, status, version, expected, size, sha256)
            SELECT id + \(file), target_id + \(target), evaluation_id + \(evaluation), stray, deleted, name, path, status, version, expected, size, sha256
            FROM temp.pending_files ORDER BY id;
            INSERT INTO main.reasons (id, target_id, evaluation_id, position, rule, verdict, message, found, expected, path)
            SELECT id + \(reason), target_id + \(target), evaluation_id + \(evaluation), position, rule, verdict, message, found, expected, path
            FROM temp.pending_reasons ORDER BY id;
            """)
    }

    /// The rows of one target, in the pending tables.
    private static func insert(_ report: TargetReport, position: Int, into db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO temp.pending_targets (position, target, kind, verdict, what_to_do, format) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [position, report.target, report.kind.rawValue, report.verdict.rawValue, report.advice, report.format])
        let target = db.lastInsertedRowID
        try insert(report.reasons, target: target, evaluation: nil, into: db)
        try insert(report.strayFiles, target: target, evaluation: nil, into: db)
        for (index, installation) in report.installations.enumerated() {
            let folders = String(decoding: try JSONEncoder().encode(installation.outlookFolders), as: UTF8.self)
            try db.cachedStatement(sql: """
                INSERT INTO temp.pending_installations (target_id, position, installation, windows_folder, system_folder, outlook_folders, verdict)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [target, index, installation.id, installation.windowsFolder, installation.systemFolder, folders,
                                         installation.verdict.rawValue])
            let installationID = db.lastInsertedRowID
            for evaluation in installation.evaluations {
                try db.cachedStatement(sql: """
                    INSERT INTO temp.pending_evaluations (installation_id, manifest, verdict, product_name, product_version,
                                                          product_language, product_source, what_to_do)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [installationID, evaluation.manifest, evaluation.verdict.rawValue, evaluation.product?.name,
                                             evaluation.product?.version, evaluation.product?.language, evaluation.product?.source,
                                             evaluation.whatToDo])
                let evaluationID = db.lastInsertedRowID
                try insert(evaluation.reasons, target: target, evaluation: evaluationID, into: db)
                try insert(evaluation.files, target: target, evaluation: evaluationID, into: db)
            }
        }
    }

    private static func insert(_ reasons: [Reason], target: Int64, evaluation: Int64?, into db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO temp.pending_reasons (target_id, evaluation_id, position, rule, verdict, message, found, expected, path)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, reason) in reasons.enumerated() {
            try statement.execute(arguments: [target, evaluation, position, reason.rule, reason.verdict.rawValue, reason.message,
                                              reason.found, reason.expected, reason.path])
        }
    }

    /// Files of an evaluation, or the target's stray copies (`evaluation` nil).
    private static func insert(_ files: [FileFinding], target: Int64, evaluation: Int64?, into db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO temp.pending_files (target_id, evaluation_id, stray, deleted, name, path, status, version, expected, size, sha256)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for file in files {
            try statement.execute(arguments: [target, evaluation, evaluation == nil, file.deleted, file.name, file.path,
                                              file.status.rawValue, file.version, file.expected, file.size, file.sha256])
        }
    }

    /// UTC, ISO 8601, to the second: 2026-12-05T18:26:33Z.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }
}
