import Foundation
import Git
import TestSupport
import Testing

@Suite struct TreeListingTests {
    /// git orders a folder as its name and a `/`; the listing is in byte order of the
    /// whole paths, so a folder whose name is the start of another's (`numpy` and
    /// `numpy.libs`) comes first, and its content after the other's.
    @Test func theListingIsInByteOrderOfThePaths() throws {
        let fixture = try GitFixture()
        for path in ["numpy/a.py", "numpy.libs/x.so", "numpy-1.0.dist-info/METADATA", "a-b", "a/c", "a.txt", "z", "Z",
                     "\u{E9}.txt"] {
            try fixture.write(path, "content of \(path)\n")
        }
        try fixture.commitAll("names that sort apart in git's order and in byte order")
        let repository = try Repository.open(fixture.path)
        let listing = try repository.listTree(commit: try repository.resolve("HEAD"))
        #expect(listing.map(\.path) == [
            "Z", "a", "a-b", "a.txt", "a/c", "numpy", "numpy-1.0.dist-info", "numpy-1.0.dist-info/METADATA",
            "numpy.libs", "numpy.libs/x.so", "numpy/a.py", "z", "\u{E9}.txt",
        ])
        #expect(listing.filter { $0.kind == .folder }.map(\.path) == ["a", "numpy", "numpy-1.0.dist-info", "numpy.libs"])
        #expect(try repository.listTree(commit: try repository.resolve("HEAD"), path: "numpy.libs").map(\.path) == ["x.so"])
    }
}
