import AWS
import Foundation
import Synchronization
import Testing

/// Temporary credentials are cached and fetched again five minutes before they expire.
@Suite struct CredentialRefreshTests {
    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
        let fetches = Mutex(0)
    }

    @Test func refreshesBeforeExpiry() throws {
        let clock = Clock()
        let provider = RefreshingCredentialProvider(source: "test", now: { clock.now.withLock { $0 } }) {
            () throws(AWSError) -> AWSCredentials in
            let count = clock.fetches.withLock { value in
                value += 1
                return value
            }
            return AWSCredentials(accessKeyId: "ASIA\(count)", secretAccessKey: "s", sessionToken: "t",
                                  expiration: clock.now.withLock { $0 }.addingTimeInterval(3600))
        }
        #expect(try provider.credentials().accessKeyId == "ASIA1")
        clock.now.withLock { $0 = $0.addingTimeInterval(3600 - 301) }  // 5 min 1 s before expiry: still fresh
        #expect(try provider.credentials().accessKeyId == "ASIA1")
        clock.now.withLock { $0 = $0.addingTimeInterval(2) }            // inside the margin: fetched again
        #expect(try provider.credentials().accessKeyId == "ASIA2")
        #expect(clock.fetches.withLock { $0 } == 2)
    }

    @Test func aFailedFetchIsReportedAndTriedAgainNextTime() throws {
        let attempts = Mutex(0)
        let provider = RefreshingCredentialProvider(source: "test") { () throws(AWSError) -> AWSCredentials in
            let attempt = attempts.withLock { value in
                value += 1
                return value
            }
            if attempt == 1 { throw AWSError(code: .missingCredentials, message: "not yet") }
            return AWSCredentials(accessKeyId: "ASIAOK", secretAccessKey: "s")
        }
        #expect(throws: AWSError.self) { try provider.credentials() }
        #expect(try provider.credentials().accessKeyId == "ASIAOK")
    }
}
