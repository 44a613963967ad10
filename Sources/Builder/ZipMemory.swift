import Archive
import Synchronization

/// How many bytes of code zips a release may hold in memory at once, each waiting for
/// its upload. A zip's writer takes bytes from here as the zip grows; when the budget
/// or `perZip` runs out, that zip goes on into a file of the cache instead (as `ferry
/// build` writes every zip) and gives its bytes back. A zip kept in memory holds its
/// bytes until its upload is over (`give`). So a repository of many large folders and a
/// slow link cost at most `total` bytes of memory, not the sum of its zips.
public final class ZipMemory: ZipMemoryBudget {
    /// What one zip may keep in memory, and what all may hold at once.
    public let perZip: Int
    public let total: Int
    private let held = Mutex(0)

    public init(perZip: Int, total: Int) {
        self.perZip = max(perZip, 0)
        self.total = max(total, 0)
    }

    public func take(_ bytes: Int) -> Bool {
        held.withLock { held in
            guard held + bytes <= total else { return false }
            held += bytes
            return true
        }
    }

    public func give(_ bytes: Int) {
        held.withLock { $0 = max($0 - bytes, 0) }
    }

    /// Bytes held now, by zips being written and zips not yet uploaded.
    var inUse: Int { held.withLock { $0 } }
}
