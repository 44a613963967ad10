// The one file of the HTTP module that calls libcurl (through the CCurl shim), with the
// POSIX file calls that stream bodies (DownloadWriter writes downloaded files). Every
// libcurl pointer has exactly one owner here.
internal import CCurl
import Foundation

/// libcurl's global initialisation (`curl_global_init`), run once, lazily and
/// thread-safely, before the first handle is made.
private let curlGlobalInit: Bool = curl_global_init(FERRY_CURL_GLOBAL_ALL) == CURLE_OK

/// A libcurl share (`CURLSH`) holding the DNS cache and TLS sessions for every handle of
/// a client, with one pthread mutex per kind of shared data. libcurl cannot share the
/// connection cache across threads: each handle keeps its own.
final class CurlShare: @unchecked Sendable {
    fileprivate let raw: UnsafeMutableRawPointer
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    private let lockCount = Int(CURL_LOCK_DATA_LAST.rawValue)

    /// Calls `curl_share_init` and `curl_share_setopt`; nil when libcurl cannot start.
    init?() {
        guard curlGlobalInit, let raw = curl_share_init() else { return nil }
        self.raw = raw
        locks = .allocate(capacity: lockCount)
        for index in 0..<lockCount { pthread_mutex_init(locks + index, nil) }
        _ = ferry_curl_share_setopt_ptr(raw, CURLSHOPT_USERDATA, UnsafeMutableRawPointer(locks))
        _ = ferry_curl_share_setopt_lockf(raw, CURLSHOPT_LOCKFUNC) { _, data, _, user in
            pthread_mutex_lock(user!.assumingMemoryBound(to: pthread_mutex_t.self) + Int(data.rawValue))
        }
        _ = ferry_curl_share_setopt_unlockf(raw, CURLSHOPT_UNLOCKFUNC) { _, data, user in
            pthread_mutex_unlock(user!.assumingMemoryBound(to: pthread_mutex_t.self) + Int(data.rawValue))
        }
        _ = ferry_curl_share_setopt_long(raw, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        _ = ferry_curl_share_setopt_long(raw, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
    }

    deinit {
        curl_share_cleanup(raw)
        for index in 0..<lockCount { pthread_mutex_destroy(locks + index) }
        locks.deallocate()
    }
}

/// One libcurl easy handle (`CURL *`) and what it points into. A handle keeps its own
/// connection cache across `curl_easy_reset`, so reusing it reuses kept-alive
/// connections. Used by one thread at a time: the client's pool hands it out.
final class EasyHandle: @unchecked Sendable {
    private let raw: UnsafeMutableRawPointer
    private let share: CurlShare  // outlives the handle: handles are cleaned up first
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// Calls `curl_easy_init`; nil when libcurl cannot make a handle.
    init?(share: CurlShare) {
        guard curlGlobalInit, let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.share = share
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(raw)
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    /// Sends `request` once with `curl_easy_perform` and returns the whole response.
    func perform(_ request: HTTPRequest, timeouts: HTTPTimeouts, userAgent: String) throws(HTTPError) -> HTTPResponse {
        curl_easy_reset(raw)
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        errorBuffer[0] = 0

        let transfer = try Transfer(request)
        defer { transfer.closeFiles() }
        try configure(request, transfer: transfer, timeouts: timeouts, userAgent: userAgent)

        let code = curl_easy_perform(raw)
        if code != CURLE_OK {
            transfer.discardFile()
            throw transfer.failure ?? error(for: code, request: request, transfer: transfer)
        }
        if let failure = transfer.failure {  // e.g. the download file could not be closed
            transfer.discardFile()
            throw failure
        }
        var connects = 0
        _ = ferry_curl_easy_getinfo_long(raw, CURLINFO_NUM_CONNECTS, &connects)
        return try transfer.finish(newConnections: connects)
    }

    private func configure(_ request: HTTPRequest, transfer: Transfer, timeouts: HTTPTimeouts, userAgent: String) throws(HTTPError) {
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
            try check(ferry_curl_easy_setopt_long(raw, option, value), request)
        }
        func set(_ option: CURLoption, _ value: String) throws(HTTPError) {
            try check(ferry_curl_easy_setopt_str(raw, option, value), request)  // libcurl copies strings
        }
        try check(ferry_curl_easy_setopt_ptr(raw, CURLOPT_ERRORBUFFER, errorBuffer), request)
        try check(ferry_curl_easy_setopt_share(raw, CURLOPT_SHARE, share.raw), request)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_USERAGENT, userAgent)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_BUFFERSIZE, 256 << 10)
        try set(CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect.milliseconds)
        try set(CURLOPT_TIMEOUT_MS, timeouts.total?.milliseconds ?? 0)
        try set(CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedLimit)
        try set(CURLOPT_LOW_SPEED_TIME, max(1, timeouts.lowSpeedTime.milliseconds / 1000))

        if transfer.sendsBody {
            try set(CURLOPT_UPLOAD, 1)
            try set(CURLOPT_UPLOAD_BUFFERSIZE, 512 << 10)
            try check(ferry_curl_easy_setopt_off(raw, CURLOPT_INFILESIZE_LARGE, curl_off_t(transfer.uploadLength)), request)
            try check(ferry_curl_easy_setopt_ptr(raw, CURLOPT_READDATA, context), request)
            try check(ferry_curl_easy_setopt_read(raw, CURLOPT_READFUNCTION) { buffer, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                return transfer.readBody(into: UnsafeMutableRawPointer(buffer!), capacity: size * count)
            }, request)
            if request.method != .put { try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
        } else if request.method == .head {
            try set(CURLOPT_NOBODY, 1)
        } else {
            try set(CURLOPT_HTTPGET, 1)
            if request.method != .get { try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
        }

        try check(ferry_curl_easy_setopt_ptr(raw, CURLOPT_HEADERDATA, context), request)
        try check(ferry_curl_easy_setopt_write(raw, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, request)
        try check(ferry_curl_easy_setopt_ptr(raw, CURLOPT_WRITEDATA, context), request)
        try check(ferry_curl_easy_setopt_write(raw, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }, request)

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // No `Expect: 100-continue` pause before uploads; no `Accept: */*` noise.
        list = curl_slist_append(list, "Expect:")
        headerList = list
        try check(ferry_curl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, list), request)
    }

    private func check(_ code: CURLcode, _ request: HTTPRequest) throws(HTTPError) {
        guard code != CURLE_OK else { return }
        throw HTTPError(
            code: .invalidRequest, message: "libcurl refused an option of this request",
            cause: "curl_easy_setopt: " + String(cString: curl_easy_strerror(code)),
            method: request.method, url: request.redactedURL)
    }

    private func error(for code: CURLcode, request: HTTPRequest, transfer: Transfer) -> HTTPError {
        let detail = String(cString: errorBuffer)
        var cause = "curl_easy_perform: \(String(cString: curl_easy_strerror(code))) (CURLcode \(code.rawValue))"
        if !detail.isEmpty { cause += ": \(detail)" }
        let (kind, message): (HTTPError.Code, String) = switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            (.dns, "could not resolve the host name; check the endpoint URL and DNS")
        case CURLE_COULDNT_CONNECT:
            (.connect, "could not connect; check that the server runs and is reachable (endpoint, proxy, firewall)")
        case CURLE_OPERATION_TIMEDOUT:
            (.timeout, "timed out; the server or the network is too slow: retry later or raise the time limit")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE, CURLE_SSL_INVALIDCERTSTATUS:
            (.tls, "the TLS handshake failed; check the endpoint's certificate and the system's CA certificates")
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            (.connectionReset, "the connection broke during the request; retry")
        case CURLE_PARTIAL_FILE:
            (.truncatedBody, "the response body ended early (\(transfer.received) bytes arrived); it was discarded, retry")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            (.invalidRequest, "the URL is malformed or its scheme is not supported; check the endpoint")
        case CURLE_FILESIZE_EXCEEDED:
            (.tooLarge, "the response body is larger than allowed")
        case CURLE_READ_ERROR, CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK:
            (.fileIO, "a body could not be read or written")
        default:
            (.protocolError, "the transfer failed")
        }
        return HTTPError(code: kind, message: message, cause: cause, method: request.method, url: request.redactedURL)
    }
}

/// The state of one attempt: the body being sent and the response being received.
/// libcurl's callbacks reach it through an unretained pointer while `perform` keeps it alive.
private final class Transfer {
    let request: HTTPRequest
    let sendsBody: Bool
    private(set) var uploadLength: Int64 = 0
    private var uploadSent: Int64 = 0
    private var uploadFD: Int32 = -1

    private var status = 0
    private var headers = HTTPHeaders()
    private var memory = Data()
    private var writingFile = false
    private var decided = false
    private var fileFD: Int32 = -1
    /// Hashes and writes the file on its own thread while libcurl receives.
    private var writer: DownloadWriter?
    private(set) var received: Int64 = 0
    private(set) var failure: HTTPError?

    /// A non-2xx body kept for an error message when the destination is a file.
    private static let errorBodyLimit: Int64 = 1 << 20

    init(_ request: HTTPRequest) throws(HTTPError) {
        self.request = request
        switch request.body {
        case .none:
            sendsBody = request.method == .put || request.method == .post
        case .bytes(let data):
            sendsBody = true
            uploadLength = Int64(data.count)
        case .file(let path, let offset, let length):
            sendsBody = true
            uploadFD = open(path, O_RDONLY | O_CLOEXEC)
            guard uploadFD >= 0 else { throw fileError("cannot open the file to upload", path: path, call: "open") }
            var info = stat()
            guard fstat(uploadFD, &info) == 0 else { throw fileError("cannot read the file to upload", path: path, call: "fstat") }
            let available = Int64(info.st_size) - offset
            guard offset >= 0, available >= (length ?? 0) else {
                throw HTTPError(
                    code: .fileIO, message: "\(path) has \(info.st_size) bytes, fewer than the \(offset + (length ?? 0)) to upload",
                    method: request.method, url: request.redactedURL)
            }
            uploadLength = length ?? available
            guard lseek(uploadFD, off_t(offset), SEEK_SET) == offset else {
                throw fileError("cannot seek in the file to upload", path: path, call: "lseek")
            }
        }
    }

    /// Feeds libcurl the next piece of the body; `CURL_READFUNC_ABORT` on a read error.
    func readBody(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        let wanted = Int(min(Int64(capacity), uploadLength - uploadSent))
        guard wanted > 0 else { return 0 }
        switch request.body {
        case .bytes(let data):
            let start = Int(uploadSent)
            data.withUnsafeBytes { bytes in
                buffer.copyMemory(from: bytes.baseAddress! + start, byteCount: wanted)
            }
            uploadSent += Int64(wanted)
            return wanted
        case .file(let path, _, _):
            var count: Int
            repeat { count = read(uploadFD, buffer, wanted) } while count < 0 && errno == EINTR
            guard count > 0 else {
                failure = count == 0
                    ? HTTPError(code: .fileIO, message: "\(path) ended early: it changed during the upload",
                                method: request.method, url: request.redactedURL)
                    : fileError("cannot read the file to upload", path: path, call: "read")
                return Int(CURL_READFUNC_ABORT)
            }
            uploadSent += Int64(count)
            return count
        case .none:
            return 0
        }
    }

    /// One header line, status lines included (a new status line starts a new header set).
    /// Parsed as bytes: this runs for every header of every response.
    func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var end = bytes.count
        while end > 0, isSpace(bytes[end - 1]) { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        if line.starts(with: "HTTP/".utf8) {
            var index = line.firstIndex(of: 0x20).map { $0 + 1 } ?? line.count
            var code = 0
            while index < line.count, (0x30...0x39).contains(line[index]) {
                code = code * 10 + Int(line[index] - 0x30)
                index += 1
            }
            status = code
            headers = HTTPHeaders()
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            var start = colon + 1
            while start < line.count, isSpace(line[start]) { start += 1 }
            headers.add(String(decoding: line[..<colon], as: UTF8.self),
                        String(decoding: line[start...], as: UTF8.self))
        }
    }

    /// Takes a piece of the body; false stops the transfer (limit reached, write failed).
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if !decided, !decide() { return false }
        received += Int64(bytes.count)
        guard received <= limit else {
            failure = tooLarge()
            return false
        }
        guard writingFile else {
            memory.append(contentsOf: bytes)
            return true
        }
        if let failed = writer?.append(bytes) {
            failure = fileError("cannot write the downloaded body", path: filePath ?? "", call: failed.call, code: failed.code)
            return false
        }
        return true
    }

    private var filePath: String? {
        if case .file(let path, _) = request.destination { path } else { nil }
    }

    private var limit: Int64 {
        switch request.destination {
        case .memory(let limit): Int64(limit)
        case .file(_, let limit): writingFile ? limit : Self.errorBodyLimit
        }
    }

    /// At the first body byte (or at the end for an empty body): where does it go?
    private func decide() -> Bool {
        decided = true
        if let path = filePath, (200..<300).contains(status) {
            fileFD = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fileFD >= 0 else {
                failure = fileError("cannot create the download file", path: path, call: "open")
                return false
            }
            writingFile = true
            writer = DownloadWriter(fd: fileFD)
        }
        if let length = headers["Content-Length"].flatMap({ Int64($0) }), length > limit {
            failure = tooLarge(announced: length)
            return false
        }
        return true
    }

    /// The response after a successful `curl_easy_perform`; refuses a short body.
    func finish(newConnections: Int) throws(HTTPError) -> HTTPResponse {
        let bodyless = request.method == .head || status == 304 || status == 204 || (100..<200).contains(status)
        if !decided, !bodyless, !decide() { discardFile(); throw failure! }
        if !bodyless, let length = headers["Content-Length"].flatMap({ Int64($0) }), length != received {
            discardFile()
            throw HTTPError(
                code: .truncatedBody,
                message: "the response body has \(received) bytes but Content-Length said \(length); it was discarded, retry",
                method: request.method, url: request.redactedURL)
        }
        var file: DownloadedFile?
        if writingFile, let path = filePath, let writer {
            let digest: String
            switch writer.finish() {
            case .success(let hex): digest = hex
            case .failure(let failed):
                let error = fileError("cannot write the downloaded body", path: path, call: failed.call, code: failed.code)
                discardFile()
                throw error
            }
            guard close(fileFD) == 0 else {
                fileFD = -1
                let error = fileError("cannot finish writing the download file", path: path, call: "close")
                discardFile()
                throw error
            }
            fileFD = -1
            file = DownloadedFile(path: path, byteCount: received, sha256: digest)
        }
        return HTTPResponse(status: status, headers: headers, body: memory, file: file, newConnections: newConnections)
    }

    /// Removes a partly written download file.
    func discardFile() {
        guard writingFile, let path = filePath else { return }
        _ = writer?.finish()  // no write may land after the close
        if fileFD >= 0 { close(fileFD); fileFD = -1 }
        unlink(path)
        writingFile = false
    }

    func closeFiles() {
        if uploadFD >= 0 { close(uploadFD); uploadFD = -1 }
        if fileFD >= 0 {
            _ = writer?.finish()
            close(fileFD)
            fileFD = -1
        }
    }

    private func tooLarge(announced: Int64? = nil) -> HTTPError {
        let size = announced.map { "\($0) bytes" } ?? "more than \(limit) bytes"
        return HTTPError(
            code: .tooLarge, message: "the response body (\(size)) exceeds the \(limit)-byte limit; it was refused",
            method: request.method, url: request.redactedURL)
    }

    private func fileError(_ message: String, path: String, call: String, code: Int32 = errno) -> HTTPError {
        let reason = String(cString: strerror(code))
        return HTTPError(code: .fileIO, message: "\(message): \(path)", cause: "\(call): \(reason)",
                         method: request.method, url: request.redactedURL)
    }
}

extension Duration {
    /// Whole milliseconds, for libcurl's `_MS` options.
    var milliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}
