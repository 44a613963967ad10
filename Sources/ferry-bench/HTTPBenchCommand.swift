import ArgumentParser
import Foundation
import HTTP

/// `ferry-bench http`: drives Ferry's HTTP client for scripts/bench-http and prints the
/// timings of each transfer as JSON.
struct HTTPBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Time Ferry's HTTP client (for scripts/bench-http).")

    @Option(help: "Download this URL to --file, hashing it.") var get: String?
    @Option(help: "Upload --file to this URL with PUT.") var put: String?
    @Option(help: "The file to download to or upload from.") var file: String?
    @Option(help: "GET this URL --count times, one after another, into memory.") var small: String?
    @Option(help: "How many small GETs.") var count = 1000

    func run() throws {
        let client = HTTPClient()
        var result: [String: Any] = [:]
        func timed(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            try body()
            return (ContinuousClock.now - start).seconds
        }
        if let get, let file {
            var download: DownloadedFile?
            result["get_seconds"] = try timed {
                download = try check(client.send(HTTPRequest(method: .get, url: get, destination: .file(path: file, limit: 1 << 40)))).file
            }
            result["get_bytes"] = download?.byteCount
            result["get_sha256"] = download?.sha256
        }
        if let put, let file {
            result["put_seconds"] = try timed {
                _ = try check(client.send(HTTPRequest(method: .put, url: put, body: .file(path: file))))
            }
        }
        if let small {
            var connections = 0
            result["small_seconds"] = try timed {
                for _ in 0..<count {
                    connections += try check(client.send(HTTPRequest(method: .get, url: small))).newConnections
                }
            }
            result["small_count"] = count
            result["small_connections"] = connections
        }
        try printJSON(result)
    }

    private func check(_ response: HTTPResponse) throws -> HTTPResponse {
        guard response.isSuccess else { throw ValidationError("HTTP \(response.status) from the benchmark server") }
        return response
    }
}
