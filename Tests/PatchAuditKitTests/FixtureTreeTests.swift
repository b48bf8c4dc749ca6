import Foundation
import Testing
@testable import PatchAuditKit

/// Every committed fixture tree gets the verdicts, installations and file statuses
/// Fixtures/expected.json records (derived from domain.md).
@Suite struct FixtureTreeTests {
    @Test func expectationsAreLoaded() {
        #expect(FixtureSupport.expectedTrees.count >= 20)
    }

    @Test(arguments: FixtureSupport.expectedTrees)
    func treeGetsItsVerdict(_ expected: FixtureSupport.ExpectedTree) throws {
        let report = try FixtureSupport.scanner().scan(target: expected.path)
        #expect(report.kind == .directory)
        #expect(report.verdict.rawValue == expected.verdict)
        #expect(report.verdict.exitStatus == expected.exitStatus)

        let installations = report.installations.map { installation in
            (installation.systemFolder, installation.outlookFolders.first,
             Dictionary(uniqueKeysWithValues: installation.evaluations.map { ($0.manifest, $0.verdict.rawValue) }))
        }
        #expect(installations.count == expected.installations.count)
        for (found, wanted) in zip(installations, expected.installations) {
            #expect(found.0 == wanted.system)
            #expect(found.1 == wanted.outlook)
            #expect(found.2 == wanted.verdicts)
        }
        let statuses = report.statuses()
        for (path, status) in expected.files {
            #expect(statuses[path] == status, "\(expected.name): \(path)")
        }
        #expect(report.strayFiles.compactMap(\.path) == expected.stray)
        // Every verdict carries its reasons.
        for installation in report.installations {
            for evaluation in installation.evaluations {
                #expect(!evaluation.reasons.isEmpty, "\(expected.name): \(evaluation.manifest) has no reason")
            }
        }
    }

    @Test func reportsAreDeterministic() throws {
        let scanner = try FixtureSupport.scanner()
        let path = FixtureSupport.trees.appendingPathComponent("dual-boot").path
        let first = try JSONReport.line(scanner.scan(target: path))
        let second = try JSONReport.line(scanner.scan(target: path))
        #expect(first == second)
    }

    @Test func reasonsNameRuleFoundAndExpected() throws {
        let report = try FixtureSupport.scanner().scan(target: FixtureSupport.trees.appendingPathComponent("blocked-outlook80").path)
        let evaluation = try #require(report.installations.first?.evaluations.first { $0.manifest == "outlook97-archive-patch" })
        let blocked = try #require(evaluation.reasons.first { $0.rule == "prerequisite-missing" })
        #expect(blocked.verdict == .blocked)
        #expect(blocked.found?.contains("8.0.0.3511") == true)
        #expect(blocked.expected?.contains("8.1.0.3817") == true)
        // The review/patch-needed facts are still reported beside the blocking one.
        #expect(evaluation.reasons.contains { $0.rule == "file-outdated" })
    }

    @Test func stringVersionDisagreementIsNotedButBinaryDecides() throws {
        let report = try FixtureSupport.scanner().scan(target: FixtureSupport.trees.appendingPathComponent("patch-needed-string-disagrees").path)
        let file = try #require(report.installations.first?.evaluations.first?.files.first { $0.name == "emsabp32.dll" })
        #expect(file.status == .outdated)
        #expect(file.version == "5.5.1960.3")
        #expect(file.versionString == "5.5.2502.0")
        #expect(file.notes.contains { $0.contains("binary one decides") })
    }

    @Test func missingTargetIsAnErrorAndNotUpToDate() throws {
        let report = try FixtureSupport.scanner().scan(target: "/nonexistent/patchaudit/pc42")
        #expect(report.verdict == .error)
        #expect(report.reasons.first?.message.contains("does not exist") == true)
    }
}
