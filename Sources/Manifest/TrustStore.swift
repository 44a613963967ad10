/// The public keys an agent (or `ferry verify`) trusts, by key id, each with the roles
/// it may sign for. Built from configuration by the caller; no I/O here.
public struct TrustStore: Sendable {
    /// One trusted key and what it may sign.
    public struct Entry: Sendable, Equatable {
        public let key: PublicKey
        public let roles: Set<Role>
    }

    /// Every trusted key, by id.
    public private(set) var entries: [KeyID: Entry] = [:]

    /// A store of the given keys; a key given twice holds the union of its roles.
    public init(_ keys: [(key: PublicKey, roles: Set<Role>)]) {
        for (key, roles) in keys { trust(key, for: roles) }
    }

    /// Trusts `key` for `roles`, in addition to any roles it already holds.
    public mutating func trust(_ key: PublicKey, for roles: Set<Role>) {
        entries[key.id] = Entry(key: key, roles: roles.union(entries[key.id]?.roles ?? []))
    }

    /// The entry of a key id, if trusted.
    public subscript(id: KeyID) -> Entry? { entries[id] }
}
