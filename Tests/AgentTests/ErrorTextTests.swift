import Agent
import Foundation
import Manifest
import Testing

/// Doubled words (issue 13): `(cause: …)` repeated the message it was already part of.
@Suite struct ErrorTextTests {
    @Test func aCauseTheMessageAlreadyCarriesIsNotRepeated() {
        let cause = ManifestError(.badSignature, "the signature does not verify")
        let error = AgentError(.refused, "the pointer was refused: the signature does not verify", next: .needsPerson,
                               cause: cause)
        #expect(error.description == "the pointer was refused: the signature does not verify")
        let other = AgentError(.refused, "the pointer was refused", next: .needsPerson, cause: cause)
        #expect(other.description.hasSuffix(" (cause: the signature does not verify)"), "\(other.description)")
    }
}
