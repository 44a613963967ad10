import Foundation
import Manifest
import Testing

/// A public key file may carry its name (`ferry keys generate --name`), which labels the
/// key id for people and plays no part in trust.
struct KeyNameTests {
    static let key = try! SigningKey(seed: Data(repeating: 5, count: 32))

    @Test func aNamedPublicKeyFileRoundTripsAndKeepsItsId() throws {
        let named = Self.key.publicKey.named("oncall")
        #expect(named.fileContents.hasSuffix(" oncall\n"))
        let read = try PublicKey(fileContents: named.fileContents)
        #expect(read.name == "oncall" && read.id == Self.key.id && read == Self.key.publicKey)
        // A file without a name still reads, as before.
        #expect(try PublicKey(fileContents: Self.key.publicKey.fileContents).name == nil)
    }

    @Test func aBadNameIsRefusedWithoutQuotingTheKey() {
        let text = Self.key.publicKey.fileContents.dropLast() + " on/call\n"
        let error = #expect(throws: ManifestError.self) { try PublicKey(fileContents: String(text)) }
        #expect(error?.message.hasPrefix("the public key file's third field, its name: the key name \"on/call\" is not allowed")
            == true)
        #expect(error?.message.contains(Self.key.publicKey.raw.base64EncodedString()) == false)
        // A private key file never takes a name.
        let privateText = Self.key.fileContents.dropLast() + " oncall\n"
        #expect(throws: ManifestError.self) { try SigningKey(fileContents: String(privateText)) }
    }
}
