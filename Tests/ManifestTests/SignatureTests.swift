import Foundation
import Testing
@testable import Manifest

@Suite struct SignatureTests {
    static let now = Timestamp.parse("2024-06-01T00:00:00Z")!

    // MARK: tampering

    /// Flipping any one bit of any byte of manifest.json makes verification fail.
    @Test func everyByteOfTheManifestIsCovered() throws {
        let (bytes, signature) = try signManifest(Fixture.manifest, with: Fixture.key)
        let trust = Fixture.trust([.builder])
        #expect(try verifyManifest(bytes: bytes, signature: signature, trust: trust) == Fixture.manifest)
        var badSignatures = 0
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            let error = refusal { () throws(ManifestError) in
                try verifyManifest(bytes: tampered, signature: signature, trust: trust)
            }
            #expect(error != nil, "flipping byte \(index) was not noticed")
            if error?.code == .badSignature { badSignatures += 1 }
        }
        // Most flips still parse as JSON; those must be caught by the signature itself.
        #expect(badSignatures > bytes.count / 2)
    }

    /// Flipping any byte of the signed part of a pointer envelope makes opening it fail.
    @Test func everyByteOfThePointerIsCovered() throws {
        let sealed = try sealPointer(Fixture.pointer(), with: Fixture.key)
        let trust = Fixture.trust([.release])
        let signedStart = sealed.range(of: Fixture.data(#""signed":"#))!.upperBound
        for index in signedStart..<sealed.count {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(refusal { () throws(ManifestError) in try openPointer(bytes: tampered, trust: trust, now: Self.now) }
                != nil, "flipping byte \(index) was not noticed")
        }
    }

    @Test func tamperedFieldIsABadSignature() throws {
        let sealed = String(decoding: try sealPointer(Fixture.pointer(), with: Fixture.key), as: UTF8.self)
        let tampered = sealed.replacingOccurrences(of: #""version":"1.4.1""#, with: #""version":"1.4.2""#)
        let error = refusal { () throws(ManifestError) in
            try openPointer(bytes: Fixture.data(tampered), trust: Fixture.trust([.release]), now: Self.now)
        }
        #expect(error?.code == .badSignature)
        #expect(error?.message.contains(Fixture.key.id.hex) == true)
    }

    @Test func signatureOverOtherBytesIsABadSignature() throws {
        let (bytes, _) = try signManifest(Fixture.manifest, with: Fixture.key)
        var other = Fixture.manifest
        other.version = try SemVer("9.9.9")
        let (_, otherSignature) = try signManifest(other, with: Fixture.key)
        let error = refusal { () throws(ManifestError) in
            try verifyManifest(bytes: bytes, signature: otherSignature, trust: Fixture.trust([.builder]))
        }
        #expect(error?.code == .badSignature)
    }

    @Test(arguments: ["not base64!", "AAAA", ""])
    func malformedSignatureByATrustedKeyIsABadSignature(_ sig: String) throws {
        let (bytes, _) = try signManifest(Fixture.manifest, with: Fixture.key)
        let file = Fixture.data(#"{"signatures":[{"keyid":""# + Fixture.key.id.hex + #"","sig":""# + sig + #""}]}"#)
        let error = refusal { () throws(ManifestError) in
            try verifyManifest(bytes: bytes, signature: file, trust: Fixture.trust([.builder]))
        }
        #expect(error?.code == .badSignature)
    }

    // MARK: who signed

    @Test func unknownKeyIsRefused() throws {
        let sealed = try sealPointer(Fixture.pointer(issuedBy: Fixture.otherKey.id), with: Fixture.otherKey)
        let error = refusal { () throws(ManifestError) in
            try openPointer(bytes: sealed, trust: Fixture.trust([.release, .oncall]), now: Self.now)
        }
        #expect(error?.code == .unknownKey)
        #expect(error?.message.contains(Fixture.otherKey.id.hex) == true)
    }

    @Test func builderKeyCannotMoveAChannel() throws {
        let sealed = try sealPointer(Fixture.pointer(), with: Fixture.key)
        let error = refusal { () throws(ManifestError) in
            try openPointer(bytes: sealed, trust: Fixture.trust([.builder]), now: Self.now)
        }
        #expect(error?.code == .keyNotInRole)
        #expect(error?.message.contains("trusted only as builder; it needs a key trusted as oncall or release") == true)
    }

    @Test func releaseKeyCannotSignManifestsOrPins() throws {
        let (bytes, signature) = try signManifest(Fixture.manifest, with: Fixture.key)
        let trust = Fixture.trust([.release])
        #expect(refusal { () throws(ManifestError) in try verifyManifest(bytes: bytes, signature: signature, trust: trust) }?
            .code == .keyNotInRole)
        let pin = try sealPointer(Fixture.pin(), with: Fixture.key)
        #expect(refusal { () throws(ManifestError) in try openPointer(bytes: pin, trust: trust, now: Self.now) }?.code
            == .keyNotInRole)
    }

    @Test func oncallKeyOpensPointersAndPins() throws {
        let trust = Fixture.trust([.oncall])
        #expect(try openPointer(bytes: sealPointer(Fixture.pointer(), with: Fixture.key), trust: trust, now: Self.now)
            == Fixture.pointer())
        #expect(try openPointer(bytes: sealPointer(Fixture.pin(), with: Fixture.key), trust: trust, now: Self.now) == Fixture.pin())
    }

    @Test func emptySignatureListIsRefused() throws {
        let (bytes, _) = try signManifest(Fixture.manifest, with: Fixture.key)
        let error = refusal { () throws(ManifestError) in
            try verifyManifest(bytes: bytes, signature: Fixture.data(#"{"signatures":[]}"#), trust: Fixture.trust([.builder]))
        }
        #expect(error?.code == .noSignature)
    }

    // MARK: several signatures

    /// Adds a second signature entry to a sealed envelope or signature file.
    private func addingSignature(_ entry: JSONValue, to bytes: Data) throws -> Data {
        guard case .object(var members) = try JSONParser.parse(bytes, cap: 1 << 20, what: "t"),
              case .array(let signatures) = members["signatures"] else { throw ManifestError(.invalidJSON, "test") }
        members["signatures"] = .array([entry] + signatures)
        return JSONValue.object(members).canonicalBytes
    }

    @Test func anUnknownSignerBesideAValidOneIsIgnored() throws {
        let (bytes, signature) = try signManifest(Fixture.manifest, with: Fixture.key)
        let extra = Signatures.entry(over: bytes, by: Fixture.otherKey)
        let both = try addingSignature(extra, to: signature)
        #expect(try verifyManifest(bytes: bytes, signature: both, trust: Fixture.trust([.builder])) == Fixture.manifest)
    }

    @Test func aTrustedSignatureThatFailsRefusesEvenBesideAValidOne() throws {
        let (bytes, signature) = try signManifest(Fixture.manifest, with: Fixture.key)
        let wrong = Signatures.entry(over: Fixture.data("other bytes"), by: Fixture.otherKey)
        let both = try addingSignature(wrong, to: signature)
        var trust = Fixture.trust([.builder])
        trust.trust(Fixture.otherKey.publicKey, for: [.oncall])  // trusted, even if not for manifests
        let error = refusal { () throws(ManifestError) in try verifyManifest(bytes: bytes, signature: both, trust: trust) }
        #expect(error?.code == .badSignature)
        #expect(error?.message.contains(Fixture.otherKey.id.hex) == true)
    }

    @Test func issuerMustBeAValidSigner() throws {
        // Signed by `key` but claiming `otherKey` issued it: sealing refuses...
        let pointer = Fixture.pointer(issuedBy: Fixture.otherKey.id)
        #expect(refusal { () throws(ManifestError) in try sealPointer(pointer, with: Fixture.key) }?.code == .issuerMismatch)
        // ...and so does opening one made by hand.
        let signed = try pointer.canonicalTree()
        let envelope = JSONValue.object(["signatures": .array([Signatures.entry(over: signed.canonicalBytes, by: Fixture.key)]),
                                         "signed": signed]).canonicalBytes
        var trust = Fixture.trust([.release])
        trust.trust(Fixture.otherKey.publicKey, for: [.release])
        let error = refusal { () throws(ManifestError) in try openPointer(bytes: envelope, trust: trust, now: Self.now) }
        #expect(error?.code == .issuerMismatch)
    }

    // MARK: time and size

    @Test func expiredPointerIsRefused() throws {
        let sealed = try sealPointer(Fixture.pointer(expiresAt: "2024-06-01T00:00:00Z"), with: Fixture.key)
        let trust = Fixture.trust([.release])
        let before = Timestamp.parse("2024-05-31T23:59:59Z")!
        #expect(try openPointer(bytes: sealed, trust: trust, now: before).serial == 42)
        let atExpiry = refusal { () throws(ManifestError) in try openPointer(bytes: sealed, trust: trust, now: Self.now) }
        #expect(atExpiry?.code == .expired)
        #expect(atExpiry?.message.contains("expired at 2024-06-01T00:00:00Z") == true)
    }

    @Test func expiredPinIsRefused() throws {
        let sealed = try sealPointer(Fixture.pin(expiresAt: "2024-05-15T00:00:00Z"), with: Fixture.key)
        #expect(refusal { () throws(ManifestError) in try openPointer(bytes: sealed, trust: Fixture.trust([.oncall]), now: Self.now) }?
            .code == .expired)
    }

    @Test func pointerOverItsCapIsRefusedBeforeParsing() throws {
        var pointer = Fixture.pointer()
        pointer.reason = String(repeating: "r", count: SizeCap.pointer)
        let sealed = try sealPointer(pointer, with: Fixture.key)
        let error = refusal { () throws(ManifestError) in
            try openPointer(bytes: sealed, trust: Fixture.trust([.release]), now: Self.now)
        }
        #expect(error?.code == .tooLarge)
    }

    @Test func manifestAndSignatureFileOverTheirCaps() throws {
        let (bytes, signature) = try signManifest(Fixture.manifest, with: Fixture.key)
        let trust = Fixture.trust([.builder])
        let hugeManifest = bytes + Data(repeating: 0x20, count: SizeCap.manifest)
        #expect(refusal { () throws(ManifestError) in try verifyManifest(bytes: hugeManifest, signature: signature, trust: trust) }?
            .code == .tooLarge)
        let hugeSignature = signature + Data(repeating: 0x20, count: SizeCap.signature)
        #expect(refusal { () throws(ManifestError) in try verifyManifest(bytes: bytes, signature: hugeSignature, trust: trust) }?
            .code == .tooLarge)
    }

    // MARK: form

    @Test func signedButNotCanonicalManifestIsRefused() throws {
        let loose = Fixture.data(" " + String(decoding: try Fixture.manifest.canonicalBytes(), as: UTF8.self))
        let file = JSONValue.object(["signatures": .array([Signatures.entry(over: loose, by: Fixture.key)])]).canonicalBytes
        let error = refusal { () throws(ManifestError) in
            try verifyManifest(bytes: loose, signature: file, trust: Fixture.trust([.builder]))
        }
        #expect(error?.code == .notCanonical)
    }

    @Test func bareDocumentIsNotAnEnvelope() throws {
        let bare = try Fixture.pointer().canonicalBytes()
        let error = refusal { () throws(ManifestError) in try openPointer(bytes: bare, trust: Fixture.trust([.release]), now: Self.now) }
        #expect(error?.code == .missingField)
        #expect(error?.field == "signed")
    }

    @Test func aPinNeedsAnOncallKeyAndAChannelPointerAReleaseOrOncallKey() throws {
        let pin = try sealPointer(Fixture.pin(), with: Fixture.key)
        let error = refusal { () throws(ManifestError) in
            try openPointer(bytes: pin, trust: Fixture.trust([.release]), now: Self.now)
        }
        #expect(error?.code == .keyNotInRole)
        #expect(try openPointer(bytes: pin, trust: Fixture.trust([.oncall]), now: Self.now).scope == .silo("silo-eu-1"))
        let pointer = try sealPointer(Fixture.pointer(), with: Fixture.key)
        for roles: Set<Role> in [[.release], [.oncall]] {
            #expect(try openPointer(bytes: pointer, trust: Fixture.trust(roles), now: Self.now).serial == 42)
        }
        #expect(refusal { () throws(ManifestError) in
            try openPointer(bytes: pointer, trust: Fixture.trust([.builder]), now: Self.now)
        }?.code == .keyNotInRole)
    }

    @Test func writersCheckTheirKeyAgainstTheScopeBeforeSigning() throws {
        let oncall = Fixture.trust([.oncall]), release = Fixture.trust([.release]), builder = Fixture.trust([.builder])
        try oncall.checkSigner(Fixture.key.id, for: .silo("s"))
        try oncall.checkSigner(Fixture.key.id, for: .channel("c"))
        try release.checkSigner(Fixture.key.id, for: .channel("c"))
        #expect(refusal { () throws(ManifestError) in try release.checkSigner(Fixture.key.id, for: .silo("s")) }?.code
            == .keyNotInRole)
        #expect(refusal { () throws(ManifestError) in try builder.checkSigner(Fixture.key.id, for: .channel("c")) }?.code
            == .keyNotInRole)
        #expect(refusal { () throws(ManifestError) in try TrustStore([]).checkSigner(Fixture.key.id, for: .channel("c")) }?
            .code == .unknownKey)
    }

    @Test func freshKeysSignAndVerify() throws {
        let key = SigningKey.generate()
        #expect(key.id != Fixture.key.id)
        let (bytes, signature) = try signManifest(Fixture.manifest, with: key)
        #expect(try verifyManifest(bytes: bytes, signature: signature, trust: Fixture.trust([.builder], key: key)) == Fixture.manifest)
        #expect(!"\(key)".contains(String(key.fileContents.dropFirst(22).prefix(20))))
    }
}
