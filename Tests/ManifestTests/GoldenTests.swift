import Basics
import Foundation
import Testing
@testable import Manifest

/// Fixed key + fixed document = fixed bytes. The expected JSON below was written by hand
/// from the spec (keys sorted, no whitespace); the expected signatures and key id were
/// computed independently with Python `cryptography` 41 and hashlib:
///
///     k = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(SEED))
///     pub = k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
///     hashlib.sha256(pub).hexdigest()            # key id
///     base64.b64encode(k.sign(EXPECTED_BYTES))   # signatures
///
/// (The same script reproduces RFC 8032 test 1's signature of the empty message.)
@Suite struct GoldenTests {
    static let keyID = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"

    static let manifestJSON = #"{"artifacts":[{"key":"ferry/artifacts/sha256/"#
        + Fixture.b64 + #"","sha256":""# + Fixture.b64 + #"","size":7}],"#
        + #""createdAt":"2024-05-01T12:00:00Z","files":[{"path":"templates/storage.yaml","sha256":""#
        + Fixture.a64 + #"","size":42}],"#
        + #""pipeline":"webapp","schema":"ferry.manifest/v1","source":{"author":"Ada <ada@example.com>","#
        + #""commit":"0123456789abcdef0123456789abcdef01234567","repository":"datalake","#
        + #""subject":"Ingest café data","tag":"v1.4.2"},"#
        + #""stacks":[{"capabilities":["CAPABILITY_IAM"],"dependsOn":[],"name":"storage","#
        + #""parameters":{"Stage":"prod"},"tags":{"team":"data"},"template":"templates/storage.yaml"}],"#
        + #""tests":[{"command":"make test","durationMs":1234,"exitStatus":0,"name":"unit"}],"version":"1.4.2"}"#
    static let manifestSig = "u6N7gz4O5M0Wzoi5kRx17Xd1fhcm2DXcA0bV+nX1D6Y14qeCoLFSd+E3LsT15tnqGnoT+dcAbVO0AnnyIZS6BA=="

    /// Signed with Python `cryptography` (Ed25519 is deterministic), not with Ferry.
    static let pointerJSON = #"{"expiresAt":null,"issuedAt":"2024-05-02T08:30:00Z","issuedBy":""# + keyID
        + #"","name":"stable","pipeline":"webapp","reason":"rollback: 1.4.2 broke ingestion","release":{"#
        + #""bundleSha256":""# + Fixture.d64 + #"","manifestSha256":""# + Fixture.c64 + #"","version":"1.4.1"},"#
        + #""schema":"ferry.pointer/v2","scope":"channel","serial":42}"#
    static let pointerSig = "h8m4RcQBH04pUvWy3sh8vfAGKPRSW6H/NLVwKsKiKSyx1QLmZEHxCVJT2FPcrYNsdXckR4+vQI3tBccshbabCg=="

    @Test func keyIDIsSHA256OfTheRawPublicKey() {
        #expect(Hex.encode(Fixture.key.publicKey.raw) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(Fixture.key.id.hex == Self.keyID)
    }

    @Test func rfc8032TestVectorOne() {
        let expected = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        #expect(Hex.encode(Fixture.key.signature(for: Data())) == expected)
    }

    @Test func manifestCanonicalBytesAndSignature() throws {
        let (bytes, signature) = try signManifest(Fixture.manifest, with: Fixture.key)
        #expect(String(decoding: bytes, as: UTF8.self) == Self.manifestJSON)
        #expect(sha256Hex(bytes) == "bffe4db2a440b58f5533888a72635b09a649415976f33f296565eadc54cbd55c")
        let expectedSig = #"{"signatures":[{"keyid":""# + Self.keyID + #"","sig":""# + Self.manifestSig + #""}]}"#
        #expect(String(decoding: signature, as: UTF8.self) == expectedSig)
    }

    @Test func pointerEnvelopeBytes() throws {
        let sealed = try sealPointer(Fixture.pointer(), with: Fixture.key)
        let expected = #"{"signatures":[{"keyid":""# + Self.keyID + #"","sig":""# + Self.pointerSig
            + #""}],"signed":"# + Self.pointerJSON + "}"
        #expect(String(decoding: sealed, as: UTF8.self) == expected)
    }

    @Test func handWrittenBytesVerifyAndDecodeToTheSameValues() throws {
        let trust = Fixture.trust([.builder, .release])
        let signature = Fixture.data(#"{"signatures":[{"keyid":""# + Self.keyID + #"","sig":""# + Self.manifestSig + #""}]}"#)
        let manifest = try verifyManifest(bytes: Fixture.data(Self.manifestJSON), signature: signature, trust: trust)
        #expect(manifest == Fixture.manifest)

        let envelope = #"{"signatures":[{"keyid":""# + Self.keyID + #"","sig":""# + Self.pointerSig + #""}],"signed":"#
            + Self.pointerJSON + "}"
        let pointer = try openPointer(bytes: Fixture.data(envelope), trust: trust, now: Date())
        #expect(pointer == Fixture.pointer())
    }

    /// The base64 forms of the seed and the public key: Python `base64.b64encode(bytes.fromhex(...))`.
    @Test func keyFilesRoundTrip() throws {
        let privateText = Fixture.key.fileContents
        #expect(privateText == "ferry-ed25519-private nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n")
        #expect(Fixture.key.publicKey.fileContents == "ferry-ed25519-public 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n")
        #expect(try SigningKey(fileContents: privateText).id == Fixture.key.id)
        #expect(try PublicKey(fileContents: Fixture.key.publicKey.fileContents).id.hex == Self.keyID)
    }
}
