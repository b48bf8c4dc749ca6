import GRDB

/// The history store's tables, as GRDB migrations (`v1`, ...): each run of `scan --store` or
/// `merge --store` is one row of `runs`, and below it the targets, installations, evaluations,
/// files and reasons of its report (the README's "History store" shows the tables and example queries).
///
/// A store is marked with ``applicationID`` (`PRAGMA application_id`, "PAUD"), so a SQLite
/// file of another program is never written into.
enum StoreSchema {
    /// `PRAGMA application_id` of a patchaudit store: "PAUD" in ASCII.
    static let applicationID: Int32 = 0x5041_5544

    /// The migrations, oldest first. A migration once shipped is never changed: a new one is added.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    started_at TEXT NOT NULL,          -- UTC, ISO 8601 (2026-12-05T18:26:33Z)
                    finished_at TEXT NOT NULL,
                    command TEXT NOT NULL,             -- scan or merge
                    command_line TEXT NOT NULL,
                    tool_version TEXT NOT NULL,
                    format TEXT NOT NULL,              -- the report's --format
                    fail_on TEXT,
                    targets INTEGER NOT NULL,          -- rows of targets with this run_id
                    worst_verdict TEXT NOT NULL,
                    exit_status INTEGER NOT NULL,
                    summary TEXT NOT NULL              -- the report's summary object, JSON
                );
                CREATE TABLE run_manifests (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    manifest TEXT NOT NULL,            -- its id
                    title TEXT NOT NULL,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    signer TEXT NOT NULL,
                    signature TEXT NOT NULL,           -- verified, unsigned, not-verified
                    PRIMARY KEY (run_id, position)
                );
                CREATE TABLE targets (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,         -- order in the report, from 0
                    target TEXT NOT NULL,              -- as given on the command line
                    kind TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    what_to_do TEXT NOT NULL,
                    format TEXT                        -- archive format or disk image layout
                );
                CREATE INDEX targets_by_run ON targets(run_id, target);
                CREATE INDEX targets_by_name ON targets(target);
                CREATE TABLE installations (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    installation TEXT NOT NULL,        -- its id: the system folder, else the Outlook folder
                    windows_folder TEXT,
                    system_folder TEXT,
                    outlook_folders TEXT NOT NULL,     -- JSON array
                    verdict TEXT NOT NULL
                );
                CREATE INDEX installations_by_target ON installations(target_id);
                CREATE TABLE evaluations (
                    id INTEGER PRIMARY KEY,
                    installation_id INTEGER NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
                    manifest TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    product_name TEXT,
                    product_version TEXT,
                    product_language TEXT,
                    product_source TEXT,
                    what_to_do TEXT
                );
                CREATE INDEX evaluations_by_installation ON evaluations(installation_id);
                CREATE TABLE files (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
                    evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE CASCADE, -- NULL: a stray copy
                    stray INTEGER NOT NULL,            -- 1: matched, but part of no installation
                    deleted INTEGER NOT NULL,          -- 1: a deleted entry of a disk image
                    name TEXT NOT NULL,
                    path TEXT,
                    status TEXT NOT NULL,
                    version TEXT,
                    expected TEXT,
                    size INTEGER,
                    sha256 TEXT
                );
                CREATE INDEX files_by_target ON files(target_id, status);
                CREATE INDEX files_by_evaluation ON files(evaluation_id);
                CREATE TABLE reasons (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
                    evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE CASCADE, -- NULL: the target's own
                    position INTEGER NOT NULL,
                    rule TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    message TEXT NOT NULL,
                    found TEXT,
                    expected TEXT,
                    path TEXT
                );
                CREATE INDEX reasons_by_target ON reasons(target_id);
                CREATE INDEX reasons_by_evaluation ON reasons(evaluation_id);
                """)
        }
        return migrator
    }()

    /// The tables a run is gathered in while it is scanned (``RunRecorder``): the same columns
    /// as the main ones less the run, ids counted from 1 within the run. They live in SQLite's
    /// temp schema, which locks nothing of the store, and spill to a file (`temp_store = FILE`).
    static let pendingTables = """
        CREATE TEMP TABLE IF NOT EXISTS pending_targets (
            id INTEGER PRIMARY KEY, position INTEGER NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,
            verdict TEXT NOT NULL, what_to_do TEXT NOT NULL, format TEXT);
        CREATE TEMP TABLE IF NOT EXISTS pending_installations (
            id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL, position INTEGER NOT NULL, installation TEXT NOT NULL,
            windows_folder TEXT, system_folder TEXT, outlook_folders TEXT NOT NULL, verdict TEXT NOT NULL);
        CREATE TEMP TABLE IF NOT EXISTS pending_evaluations (
            id INTEGER PRIMARY KEY, installation_id INTEGER NOT NULL, manifest TEXT NOT NULL, verdict TEXT NOT NULL,
            product_name TEXT, product_version TEXT, product_language TEXT, product_source TEXT, what_to_do TEXT);
        CREATE TEMP TABLE IF NOT EXISTS pending_files (
            id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL, evaluation_id INTEGER, stray INTEGER NOT NULL,
            deleted INTEGER NOT NULL, name TEXT NOT NULL, path TEXT, status TEXT NOT NULL, version TEXT,
            expected TEXT, size INTEGER, sha256 TEXT);
        CREATE TEMP TABLE IF NOT EXISTS pending_reasons (
            id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL, evaluation_id INTEGER, position INTEGER NOT NULL,
            rule TEXT NOT NULL, verdict TEXT NOT NULL, message TEXT NOT NULL, found TEXT, expected TEXT, path TEXT);
        """

    /// Each pending table, and the main table it is copied into.
    static let pendingNames = ["targets", "installations", "evaluations", "files", "reasons"]
}
