import Foundation

// Signing and verifying Ferry's signed documents. See docs/manifest.md, "Signatures".
//
// - `manifest.json` is the manifest's canonical bytes; `manifest.sig` is
//   `{"signatures":[{"keyid":…,"sig":…}]}` over exactly those bytes.
// - A pointer file (channel or pin) is the envelope `{"signatures":[…],"signed":{…}}`; each
//   signature is over the canonical bytes of `signed`.
//
// Accepted when: at least one signature is by a trusted key holding one of the roles
// the document needs, and no signature by a trusted key (in any role) fails to verify.
// Signatures by keys not in the trust store are ignored.

/// The canonical `manifest.json` bytes and the `manifest.sig` bytes of `manifest`,
/// signed by `key` (which should be trusted as `builder`). Fails if the manifest is invalid.
public func signManifest(_ manifest: Manifest, with key: SigningKey) throws(ManifestError)
    -> (manifest: Data, signature: Data)
{
    let bytes = try manifest.canonicalBytes()
    let file = JSONValue.object(["signatures": .array([Signatures.entry(over: bytes, by: key)])])
    return (bytes, file.canonicalBytes)
}

/// The manifest in `bytes` (`manifest.json`), once `signature` (`manifest.sig`) shows a
/// trusted `builder` key signed exactly these bytes. The bytes must be canonical.
public func verifyManifest(bytes: Data, signature: Data, trust: TrustStore) throws(ManifestError) -> Manifest {
    let tree = try JSONParser.parse(bytes, cap: SizeCap.manifest, what: Manifest.what)
    try Schema.check(tree, as: Manifest.self)
    let file = try CanonicalJSON.decode(SignatureFile.self, from: signature, cap: SizeCap.signature,
                                        what: "the manifest signature file")
    try Signatures.check(file.signatures, over: bytes, trust: trust, roles: [.builder], what: Manifest.what)
    guard tree.canonicalBytes == bytes else {
        throw ManifestError(.notCanonical, "the manifest is signed but not in canonical form; ferry writes only "
            + "canonical manifests, so it was not written by ferry: rebuild it with ferry build")
    }
    return try Manifest.decode(tree: tree)
}

/// The signed envelope of `pointer`, signed by `key`. `pointer.issuedBy` must be `key.id`.
public func sealPointer(_ pointer: Pointer, with key: SigningKey) throws(ManifestError) -> Data {
    try Signatures.seal(pointer, issuedBy: pointer.issuedBy, with: key)
}

/// The pointer in a signed envelope, once a trusted key in a role its scope needs signed
/// it (`release` or `oncall` for a channel, `oncall` for a silo), `issuedBy` is one of
/// the valid signers, and it has not expired (`expiresAt <= now` is expired). Checking
/// the serial against the last one accepted is the agent's job.
public func openPointer(bytes: Data, trust: TrustStore, now: Date) throws(ManifestError) -> Pointer {
    let pointer = try verifyPointer(bytes: bytes, trust: trust)
    try Signatures.checkExpiry(pointer.expiresAt, now: now, what: "\(pointer.scope) of \(pointer.pipeline)")
    return pointer
}

/// The same checks as `openPointer` but the expiry: for a writer reading the document it
/// replaces (`ferry refresh` re-signs an expired pointer; it must still be genuine).
public func verifyPointer(bytes: Data, trust: TrustStore) throws(ManifestError) -> Pointer {
    let (pointer, signed, file) = try Signatures.envelope(Pointer.self, bytes: bytes)
    let signers = try Signatures.check(file.signatures, over: signed.canonicalBytes, trust: trust,
                                       roles: pointer.scope.roles, what: "\(pointer.scope) of \(pointer.pipeline)")
    try Signatures.checkIssuer(pointer.issuedBy, signers: signers, what: "\(pointer.scope) of \(pointer.pipeline)")
    return pointer
}

extension TrustStore {
    /// Refuses `signer` unless the agents trusting this store accept its signature on a
    /// pointer of `scope`: a writer checks this before it tags, uploads or writes anything.
    public func checkSigner(_ signer: KeyID, for scope: PointerScope) throws(ManifestError) {
        let needed = scope.roles.sorted().map(\.rawValue).joined(separator: " or ")
        guard let entry = self[signer] else {
            throw ManifestError(.unknownKey, "the signing key \(signer) is not in the trusted keys (--trust), so no "
                + "agent would accept \(scope) signed with it; sign with a key trusted as \(needed)")
        }
        guard !entry.roles.isDisjoint(with: scope.roles) else {
            throw ManifestError(.keyNotInRole, "the signing key \(signer) is trusted only as "
                + entry.roles.sorted().map(\.rawValue).joined(separator: ", ") + "; agents accept \(scope) only "
                + "from a key trusted as \(needed): sign with such a key")
        }
    }
}

/// `{"signatures":[{"keyid":…,"sig":…}]}`; other members (`signed`) are read elsewhere.
struct SignatureFile: Decodable {
    struct Entry: Decodable {
        let keyid: KeyID
        /// Base64 (RFC 4648, with padding) of the 64-byte Ed25519 signature.
        let sig: String
    }
    let signatures: [Entry]
}

enum Signatures {
    static func entry(over bytes: Data, by key: SigningKey) -> JSONValue {
        .object(["keyid": .string(key.id.hex), "sig": .string(key.signature(for: bytes).base64EncodedString())])
    }

    static func seal<D: FerryDocument>(_ document: D, issuedBy: KeyID, with key: SigningKey) throws(ManifestError) -> Data {
        guard issuedBy == key.id else {
            throw ManifestError(.issuerMismatch, "\(D.what) says it is issued by \(issuedBy) but is being signed by "
                + "\(key.id); set issuedBy to the signing key's id", field: "issuedBy")
        }
        let signed = try document.canonicalTree()
        return JSONValue.object(["signatures": .array([entry(over: signed.canonicalBytes, by: key)]), "signed": signed])
            .canonicalBytes
    }

    /// Parses an envelope: schema of `signed` first, then the signature list, then the
    /// fields (the roles a pointer needs depend on its scope). Signatures are NOT checked.
    static func envelope<D: FerryDocument>(_ type: D.Type, bytes: Data)
        throws(ManifestError) -> (D, signed: JSONValue, SignatureFile)
    {
        let tree = try JSONParser.parse(bytes, cap: D.sizeCap, what: D.what)
        guard case .object(let members) = tree, let signed = members["signed"] else {
            throw ManifestError(.missingField, "\(D.what) is not a signed envelope: it lacks the field `signed`",
                                field: "signed")
        }
        try Schema.check(signed, as: D.self)
        let file = try CanonicalJSON.decode(SignatureFile.self, from: tree, what: D.what)
        return (try D.decode(tree: signed), signed, file)
    }

    /// The ids of the trusted keys in `roles` whose signatures verify; see the rule at the top.
    @discardableResult
    static func check(_ signatures: [SignatureFile.Entry], over bytes: Data, trust: TrustStore, roles: Set<Role>,
                      what: String) throws(ManifestError) -> Set<KeyID>
    {
        guard !signatures.isEmpty else {
            throw ManifestError(.noSignature, "\(what) carries no signature; it cannot be trusted")
        }
        var inRole = Set<KeyID>()
        var outOfRole: [(KeyID, Set<Role>)] = []
        for signature in signatures {
            guard let trusted = trust[signature.keyid] else { continue }
            guard let raw = Data(base64Encoded: signature.sig), raw.count == 64,
                  trusted.key.isValidSignature(raw, for: bytes)
            else {
                throw ManifestError(.badSignature, "the signature of trusted key \(signature.keyid) on \(what) does "
                    + "not match its bytes: it was altered after signing; do not use it")
            }
            if trusted.roles.isDisjoint(with: roles) {
                outOfRole.append((signature.keyid, trusted.roles))
            } else {
                inRole.insert(signature.keyid)
            }
        }
        if !inRole.isEmpty { return inRole }
        let needed = roles.sorted().map(\.rawValue).joined(separator: " or ")
        if let (id, held) = outOfRole.first {
            throw ManifestError(.keyNotInRole, "\(what) is signed by key \(id), which is trusted only as "
                + "\(held.sorted().map(\.rawValue).joined(separator: ", ")); it needs a key trusted as \(needed)")
        }
        let ids = signatures.map(\.keyid.hex).joined(separator: ", ")
        throw ManifestError(.unknownKey, "\(what) is signed only by keys this trust store does not hold (\(ids)); "
            + "if the signer should be trusted as \(needed), add its public key to the trusted keys")
    }

    static func checkIssuer(_ issuer: KeyID, signers: Set<KeyID>, what: String) throws(ManifestError) {
        guard signers.contains(issuer) else {
            throw ManifestError(.issuerMismatch, "\(what) names \(issuer) as its issuer, but that key did not sign it "
                + "validly in the needed role; it cannot be trusted", field: "issuedBy")
        }
    }

    static func checkExpiry(_ expiresAt: String?, now: Date, what: String) throws(ManifestError) {
        guard let expiresAt, let expiry = Timestamp.parse(expiresAt), expiry <= now else { return }
        throw ManifestError(.expired, "\(what) expired at \(expiresAt) (now \(Timestamp.format(now))); an agent "
            + "refuses it and keeps what runs: re-sign it (ferry refresh) or issue a new one (ferry promote, rollback, "
            + "pin)", field: "expiresAt")
    }
}

/// The document inside a signed envelope, decoded WITHOUT checking any signature. Only
/// for views (history, status) and for the serials of old versions; never to decide what
/// to apply (the agent uses `openPointer`) nor what a writer replaces (`verifyPointer`).
public func unverifiedContents<D: FerryDocument>(_ type: D.Type, ofEnvelope bytes: Data) throws(ManifestError) -> D {
    try Signatures.envelope(D.self, bytes: bytes).0
}
