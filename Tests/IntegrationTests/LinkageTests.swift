import TestSupport
import Testing

/// The three C libraries are linked as shared libraries, not shelled out to: the dynamic
/// loader resolves each of them for the `ferry` binary.
@Suite struct LinkageTests {
    @Test func ferryLinksLibgit2LibcurlLibarchiveAndSQLite() throws {
        let run = try FerryProcess.run(program: "ldd", [try TestEnvironment.ferryBinary()]).check()
        let resolved = run.lines.filter { $0.contains("=> /") }
        for library in ["libgit2.so", "libcurl.so", "libarchive.so", "libsqlite3.so"] {
            #expect(resolved.contains { $0.contains(library) }, "\(library) missing from:\n\(run.stdout)")
        }
        #expect(!run.stdout.contains("not found"), "\(run.stdout)")
    }
}
