import Basics
import Foundation
import Testing
@testable import Manifest

@Suite struct KeyFileTests {
    @Test func publicKeyFileIsNotAPrivateKey() {
        let error = refusal { () throws(ManifestError) in try SigningKey(fileContents: Fixture.key.publicKey.fileContents) }
        #expect(error?.code == .badKeyFile)
        #expect(error?.message == "this is a public key file; a private key file starting \"ferry-ed25519-private\" is needed here")
    }

    @Test func privateKeyFileIsNotAPublicKeyAndIsNotQuoted() {
        let secret = Fixture.key.fileContents
        let error = refusal { () throws(ManifestError) in try PublicKey(fileContents: secret) }
        #expect(error?.code == .badKeyFile)
        #expect(error?.message.contains("this is a private key file") == true)
        #expect(error?.message.contains("nWGxne") == false)
    }

    @Test(arguments: ["", "\n", "ferry-ed25519-private", "ferry-ed25519-private  nWGx", "ferry-ed25519-private abc=",
                      "ferry-ed25519-private AAAA\nferry-ed25519-private AAAA\n", "-----BEGIN PRIVATE KEY-----",
                      "ferry-ed25519-private " + Data(repeating: 1, count: 31).base64EncodedString()])
    func damagedPrivateKeyFilesAreRefused(_ text: String) {
        let error = refusal { () throws(ManifestError) in try SigningKey(fileContents: text) }
        #expect(error?.code == .badKeyFile)
        #expect(error?.message.contains("ferry-ed25519-private") == true || error?.message.contains("damaged") == true)
    }

    @Test func keyFilesAcceptCRLFAndNoNewline() throws {
        let line = Fixture.key.publicKey.fileContents.dropLast()
        #expect(try PublicKey(fileContents: String(line)).id == Fixture.key.id)
        #expect(try PublicKey(fileContents: line + "\r\n").id == Fixture.key.id)
    }

    @Test func seedMustBe32Bytes() {
        #expect(refusal { () throws(ManifestError) in try SigningKey(seed: Data(count: 31)) }?.code == .badKeyFile)
        #expect(refusal { () throws(ManifestError) in try PublicKey(raw: Data(count: 33)) }?.code == .badKeyFile)
    }

    @Test func keyIDForm() throws {
        #expect(refusal { () throws(ManifestError) in try KeyID(hex: String(repeating: "A", count: 64)) }?.code == .invalidValue)
        #expect(try KeyID(hex: GoldenTests.keyID) == Fixture.key.id)
    }

    @Test func trustStoreMergesRoles() {
        var trust = TrustStore([(Fixture.key.publicKey, [.builder])])
        trust.trust(Fixture.key.publicKey, for: [.oncall])
        #expect(trust[Fixture.key.id]?.roles == [.builder, .oncall])
        #expect(trust[Fixture.otherKey.id] == nil)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0.0), ("2024-05-01T12:00:00Z", 1_714_564_800), ("2000-02-29T23:59:59Z", 951_868_799),
        ("1969-12-31T23:59:59Z", -1), ("2024-05-02T08:30:40.125Z", 1_714_638_640.125), ("9999-12-31T23:59:59Z", 253_402_300_799),
    ])
    func parsesAndFormats(text: String, seconds: Double) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(date.timeIntervalSince1970 == seconds)
        #expect(Timestamp.format(date) == text.replacingOccurrences(of: ".125", with: ""))
    }

    @Test(arguments: ["", "2024-05-01", "2024-05-01T12:00:00", "2024-05-01T12:00:00+00:00", "2024-05-01 12:00:00Z",
                      "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-05-01T24:00:00Z",
                      "2024-05-01T12:60:00Z", "2024-05-01T12:00:60Z", "2024-05-01T12:00:00.Z", "2024-05-01t12:00:00z",
                      "2024-05-01T12:00:00.1234567890Z", "+024-05-01T12:00:00Z", "2024-05-01T12:00:00,5Z"])
    func refuses(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}

@Suite struct DigestTests {
    @Test func sha256OfKnownInputs() {
        // FIPS 180-2 examples.
        #expect(sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Fixture.data("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingHasherMatchesOneShot() {
        var hasher = SHA256Hasher()
        hasher.update(Fixture.data("a"))
        Fixture.data("bc").withUnsafeBytes { hasher.update(bytes: $0) }
        #expect(hasher.finalizeHex() == sha256Hex(Fixture.data("abc")))
        #expect(hasher.count == 3)
    }

    @Test func hexRoundTripAndRefusals() {
        #expect(Hex.encode([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
        #expect(Hex.decode("000ff0ff") == Data([0x00, 0x0f, 0xf0, 0xff]))
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("0G") == nil)
        #expect(Hex.decode("AB") == nil)
    }
}
