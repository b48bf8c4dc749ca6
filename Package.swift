// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "patchaudit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "PatchAuditKit", targets: ["PatchAuditKit"]),
        .executable(name: "patchaudit", targets: ["patchaudit"]),
    ],
    dependencies: [
        // SHA-256, SHA-1 and MD5 (incremental, BoringSSL-backed on Linux).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // The command line: subcommands, --help, shell completions.
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // File descriptors and errno: `FileDescriptor` (reads retried on EINTR) and `Errno`
        // under our one owner type (System/OwnedDescriptor.swift).
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // Worker processes: each target is scanned in a child of the same binary, so a crash in
        // libarchive costs that target only (Isolation/WorkerPool.swift).
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        // CSV (RFC 4180 quoting) for --format csv and csv-files (Report/CSVReport.swift).
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        // The HTML report (--format html): elements built as values, so evidence is escaped by
        // construction, never pasted into markup (Report/HTMLReport.swift).
        .package(url: "https://github.com/JohnSundell/Plot.git", from: "0.14.0"),
        // The history store (Store/): SQLite migrations, transactions and WAL over Debian's libsqlite3.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Property tests for the PE parser (test target only).
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Debian's libarchive-dev (the Makefile installs it where it is missing).
        .systemLibrary(
            name: "CLibArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // Debian's libtsk-dev (The Sleuth Kit: disk images, partition tables, FAT and NTFS) and
        // libqcow-dev (QCOW2), installed by the Makefile like libarchive.
        .systemLibrary(
            name: "CTSK",
            pkgConfig: "tsk",
            providers: [.apt(["libtsk-dev", "libqcow-dev"])]
        ),
        // Debian's libdeflate-dev: zip entries read in place are inflated with it (about twice
        // zlib's speed) and their CRC-32 checked with its own (ArchiveWalk+ZipInPlace.swift).
        .systemLibrary(
            name: "CLibDeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        // The crash note of a worker: a signal handler that says which entry was being read.
        // In C, because a handler may only call async-signal-safe functions.
        .target(name: "CCrashNote"),
        .target(
            name: "PatchAuditKit",
            dependencies: [
                "CLibArchive",
                "CLibDeflate",
                "CTSK",
                "CCrashNote",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Plot", package: "Plot"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "patchaudit",
            dependencies: [
                "PatchAuditKit",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "PatchAuditKitTests",
            dependencies: [
                "PatchAuditKit",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            // Small mingw-built DLLs and the script that made them, and the writers' golden files;
            // tests read them via #filePath.
            exclude: ["Resources/PE", "Resources/golden"]
        ),
        .testTarget(
            name: "PatchAuditCLITests",
            dependencies: ["patchaudit", .product(name: "CSV", package: "CSV.swift")],
            // The golden files of every report format (ReportFormatTests).
            exclude: ["Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// One settings loop for all targets: warnings are errors-in-waiting.
for target in package.targets where target.type != .system && target.name != "CCrashNote" {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
