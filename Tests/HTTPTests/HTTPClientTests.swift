import Basics
import Crypto
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

/// The client against the fault proxy's built-in origin (Tests/Support/fault_proxy.py),
/// a local HTTP/1.1 server with keep-alive.
@Suite struct HTTPClientTests {
    let origin: FaultProxy
    let client = HTTPClient()

    init() throws { origin = try FaultProxy() }

    static func pattern(_ count: Int) -> Data { Data((0..<count).map { UInt8($0 % (1 << 20) % 251) }) }

    struct Echo: Decodable { let method: String; let length: Int; let sha256: String; let headers: [String: String] }

    @Test func getsIntoMemoryAndCountsRequests() throws {
        let response = try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/1000"))
        #expect(response.status == 200)
        #expect(response.body == Self.pattern(1000))
        #expect(response.headers["content-length"] == "1000")
        _ = try client.send(HTTPRequest(method: .head, url: origin.endpoint + "/bytes/1000"))
        #expect(client.requestCounts == RequestCounts(total: 2, byMethod: [.get: 1, .head: 1]))
        client.resetRequestCounts()
        #expect(client.requestCounts.total == 0)
    }

    @Test func consecutiveRequestsReuseOneConnection() throws {
        var fresh: [Int] = []
        for _ in 0..<20 {
            fresh.append(try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/10")).newConnections)
        }
        #expect(fresh.first == 1)
        #expect(fresh.dropFirst().allSatisfy { $0 == 0 })
        #expect(Set(try origin.log().map(\.port)).count == 1)
    }

    @Test func sendsHeadersAndBodiesFromMemoryAndFiles() throws {
        let data = Self.pattern(300_000)
        let memory = try client.send(HTTPRequest(
            method: .put, url: origin.endpoint + "/echo", headers: ["X-Ferry": "yes", "Content-Type": "text/plain"],
            body: .bytes(data)))
        let echoed = try JSONDecoder().decode(Echo.self, from: memory.body)
        #expect(echoed.method == "PUT" && echoed.length == data.count && echoed.sha256 == TestDigest.sha256(data))
        #expect(echoed.headers["x-ferry"] == "yes")
        #expect(echoed.headers["expect"] == nil)

        let dir = try TemporaryDirectory()
        let path = dir.url("upload.bin")
        try data.write(to: URL(fileURLWithPath: path))
        let slice = try client.send(HTTPRequest(
            method: .post, url: origin.endpoint + "/echo", body: .file(path: path, offset: 1000, length: 5000)))
        let sliceEcho = try JSONDecoder().decode(Echo.self, from: slice.body)
        #expect(sliceEcho.method == "POST" && sliceEcho.length == 5000)
        #expect(sliceEcho.sha256 == TestDigest.sha256(data.subdata(in: 1000..<6000)))

        let empty = try client.send(HTTPRequest(method: .post, url: origin.endpoint + "/echo"))
        #expect(try JSONDecoder().decode(Echo.self, from: empty.body).headers["content-length"] == "0")
    }

    @Test func streamsADownloadToAFileWithItsSHA256() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url("download.bin")
        let response = try client.send(HTTPRequest(
            method: .get, url: origin.endpoint + "/bytes/3000000", destination: .file(path: path, limit: 3_000_000)))
        let file = try #require(response.file)
        #expect(file.byteCount == 3_000_000)
        #expect(file.sha256 == TestDigest.sha256(Self.pattern(3_000_000)))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Self.pattern(3_000_000))
        #expect(response.body.isEmpty)
    }

    @Test func anErrorStatusIsAResponseAndKeepsItsBodyOutOfTheFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url("never.bin")
        let response = try client.send(HTTPRequest(
            method: .get, url: origin.endpoint + "/status/503", destination: .file(path: path, limit: 10)))
        #expect(response.status == 503)
        #expect(response.text == "status 503")
        #expect(response.file == nil)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func refusesBodiesOverTheLimit() throws {
        let memory = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/5000", destination: .memory(limit: 4999)))
        }
        #expect(memory?.code == .tooLarge)

        let dir = try TemporaryDirectory()
        let path = dir.url("big.bin")
        let file = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/5000", destination: .file(path: path, limit: 100)))
        }
        #expect(file?.code == .tooLarge)
        #expect(!FileManager.default.fileExists(atPath: path))

        // HEAD announces a size but carries no body: no limit applies.
        let head = try client.send(HTTPRequest(method: .head, url: origin.endpoint + "/bytes/5000", destination: .memory(limit: 10)))
        #expect(head.status == 200 && head.body.isEmpty)
    }

    @Test func neverAcceptsATruncatedBody() throws {
        try origin.inject([.truncate(), .truncate()])
        let memory = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/100000"))
        }
        #expect(memory?.code == .truncatedBody)
        #expect(memory?.isTransient == true)

        let dir = try TemporaryDirectory()
        let path = dir.url("partial.bin")
        let file = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/100000", destination: .file(path: path, limit: 1 << 20)))
        }
        #expect(file?.code == .truncatedBody)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func typesConnectionFailures() throws {
        try origin.inject([.reset()])
        let reset = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/10"))
        }
        #expect(reset?.code == .connectionReset)

        try origin.inject([.delay(ms: 3000)])
        let slow = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/10",
                                        timeouts: HTTPTimeouts(total: .milliseconds(300))))
        }
        #expect(slow?.code == .timeout)

        let refused = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:9/x?X-Amz-Signature=secret"))
        }
        #expect(refused?.code == .connect)
        #expect(refused.map { !"\($0)".contains("secret") } == true)
        #expect(refused?.cause?.contains("curl_easy_perform") == true)

        // TLS to a server that speaks plain HTTP: the handshake fails.
        let tls = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: origin.endpoint.replacingOccurrences(of: "http:", with: "https:") + "/bytes/1"))
        }
        #expect(tls?.code == .tls)

        let unknown = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .get, url: "http://ferry-no-such-host.invalid/"))
        }
        #expect(unknown?.code == .dns)

        let missing = #expect(throws: HTTPError.self) {
            try client.send(HTTPRequest(method: .put, url: origin.endpoint + "/echo", body: .file(path: "/nonexistent/ferry")))
        }
        #expect(missing?.code == .fileIO)
    }

    @Test func retriesThrottlingHonouringRetryAfter() throws {
        try origin.inject([.status(503, retryAfter: 2), .status(500)])
        let slept = Mutex<[Duration]>([])
        let retrier = Retrier(policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10)),
                              random: { 1 }, sleep: { wait in slept.withLock { $0.append(wait) } })
        let response = try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/10"), retrier: retrier)
        #expect(response.status == 200)
        #expect(slept.withLock { $0 } == [.seconds(2), .milliseconds(20)])
        #expect(try origin.log().map(\.fault) == ["status", "status", nil])

        // Out of attempts, the caller sees the last status.
        try origin.inject([.status(503), .status(503)])
        let last = try client.send(HTTPRequest(method: .get, url: origin.endpoint + "/bytes/10"),
                                   retrier: Retrier(policy: RetryPolicy(maxAttempts: 2), sleep: { _ in }))
        #expect(last.status == 503)
    }

    @Test func aRetriedFileUploadRereadsTheFileFromTheStart() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url("upload.bin")
        let data = Self.pattern(2_000_000)
        try data.write(to: URL(fileURLWithPath: path))
        try origin.inject([.reset(match: "PUT")])
        let response = try client.send(
            HTTPRequest(method: .put, url: origin.endpoint + "/echo", body: .file(path: path)),
            retrier: Retrier(policy: RetryPolicy(maxAttempts: 3), sleep: { _ in }))
        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.length == data.count && echo.sha256 == TestDigest.sha256(data))
        #expect(try origin.log().map(\.fault) == ["reset", nil])
        #expect(client.requestCounts[.put] == 2)
    }

    @Test func sendsFromManyThreadsAtOnce() throws {
        let sizes = Array(1...60)
        let url = origin.endpoint
        let client = self.client
        let bodies = try parallelMap(sizes, width: 8) { (size: Int) throws(HTTPError) -> Data in
            try client.send(HTTPRequest(method: .get, url: url + "/bytes/\(size * 100)")).body
        }
        #expect(bodies == sizes.map { Self.pattern($0 * 100) })
        #expect(client.requestCounts == RequestCounts(total: 60, byMethod: [.get: 60]))
        #expect(Set(try origin.log().map(\.port)).count <= 8)
    }
}
