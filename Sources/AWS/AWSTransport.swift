import Foundation
import HTTP

/// One AWS operation's request, before endpoint, signature and retries.
struct AWSRequest: Sendable {
    /// `Service.Operation`, for errors.
    var operation: String
    var method: HTTPMethod = .get
    /// The percent-encoded path under the endpoint's base path.
    var path: String = "/"
    /// Unencoded names and values.
    var query: [(name: String, value: String)] = []
    var headers: HTTPHeaders = [:]
    /// Hashed once for the signature (unless `payloadSHA256` is given), re-read on every attempt.
    var body: HTTPBody = .none
    /// The body's SHA-256 (hex) when the caller already knows it: signed as is, so the
    /// body is not read once more to hash it (and S3 refuses bytes that do not match).
    var payloadSHA256: String?
    var destination: ResponseDestination = .memory(limit: 32 << 20)
    /// Statuses outside 2xx that are answers, not errors (304 for a conditional GET).
    var accepted: Set<Int> = []
    /// A host to use instead of the endpoint's (S3 virtual-hosted buckets).
    var host: String?
}

/// Signs, sends and retries requests to one service under one config: the single
/// place where credentials meet the network. Errors come back as `AWSError` with the
/// service's code, message and request id.
struct AWSTransport: Sendable {
    let config: AWSConfig
    let service: AWSService
    /// The service's endpoint, resolved once (a config is a value: it cannot change).
    let endpoint: Result<AWSEndpoint, AWSError>

    init(config: AWSConfig, service: AWSService) {
        self.config = config
        self.service = service
        endpoint = Result { () throws(AWSError) in try config.endpoint(for: service) }
    }

    func send(_ request: AWSRequest) throws(AWSError) -> HTTPResponse {
        var endpoint = try endpoint.get()
        if let host = request.host { endpoint = endpoint.withHost(host) }
        let payloadHash: String = if let known = request.payloadSHA256 { known } else {
            switch request.body {
            case .none: AWSEncoding.emptySHA256
            case .bytes(let data): AWSEncoding.sha256Hex(data)
            case .file(let path, let offset, let length): try AWSEncoding.sha256Hex(file: path, offset: offset, length: length)
            }
        }
        let path = endpoint.basePath + request.path
        let query = AWSEncoding.canonicalQuery(request.query)
        let url = endpoint.origin + path + (query.isEmpty ? "" : "?" + query)
        let region = service.globalRegion ?? config.region

        return try config.retrier.run({ (_: Int) throws(AWSError) -> HTTPResponse in
            let credentials = try config.credentials.credentials()
            var headers = request.headers
            headers["Host"] = endpoint.hostHeader
            let signer = SigV4Signer(credentials: credentials, region: region, service: service.signingName)
            headers = signer.sign(method: request.method, path: path, query: request.query, headers: headers,
                                  payloadHash: payloadHash, date: config.now())
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try config.http.send(HTTPRequest(method: request.method, url: url, headers: headers,
                                                            body: request.body, destination: request.destination))
            } catch {
                throw AWSError(code: .network, message: "no complete answer from \(service) at \(endpoint)",
                               operation: request.operation, cause: error)
            }
            guard response.isSuccess || request.accepted.contains(response.status) else {
                throw AWSErrorParser.error(from: response, operation: request.operation)
            }
            return response
        }, classify: { error in
            error.isRetryable ? .retry(retryAfter: error.retryAfter) : .fail
        })
    }
}

/// Reads an error answer: S3's `<Error>`, the Query APIs' `<ErrorResponse>`, JSON's
/// `__type`, or only a status (HEAD, or an emulator's HTML page).
enum AWSErrorParser {
    static func error(from response: HTTPResponse, operation: String) -> AWSError {
        var requestId = response.headers["x-amz-request-id"] ?? response.headers["x-amzn-RequestId"]
        var code: String?
        var message: String?
        let body = response.body
        if body.first == UInt8(ascii: "{"),
           let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            code = (json["__type"] as? String ?? json["code"] as? String)?.split(separator: "#").last.map(String.init)
            message = json["message"] as? String ?? json["Message"] as? String
        } else if !body.isEmpty, let root = try? XMLReader.parse(body) {
            // <Error> (S3), <ErrorResponse><Error> (Query), <Response><Errors><Error> (EC2 shape).
            let error = root.name == "Error" ? root : root.child("Error") ?? root["Errors", "Error"]
            code = error?.value("Code")
            message = error?.value("Message")
            requestId = requestId ?? root.value("RequestId") ?? error?.value("RequestId")
        }
        if code == nil, let type = response.headers["x-amzn-ErrorType"] {
            code = type.split(separator: ":").first.map(String.init)
        }
        let fallback: String = switch response.status {
        case 304: "NotModified"
        case 400: "BadRequest"
        case 403: "AccessDenied"
        case 404: "NotFound"
        case 409: "Conflict"
        case 412: "PreconditionFailed"
        case 429: "TooManyRequestsException"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(response.status)"
        }
        if message == nil {
            let snippet = String(decoding: body.prefix(300), as: UTF8.self)
                .replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
                .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            message = snippet.isEmpty ? "HTTP \(response.status) without an error body" : snippet
        }
        // S3 names the bucket's region on a wrong-region answer (301 PermanentRedirect,
        // 400 AuthorizationHeaderMalformed, a HEAD's bare 301/400): say what to pass.
        if let region = response.headers["x-amz-bucket-region"], [301, 400].contains(response.status) {
            message = message! + " (the bucket is in \(region): pass --region \(region) or set AWS_REGION=\(region))"
        }
        return AWSError(code: AWSError.Code(code ?? fallback), message: message!, status: response.status,
                        requestId: requestId, operation: operation,
                        retryAfter: response.headers["Retry-After"].flatMap { RetryPolicy.parseRetryAfter($0) })
    }
}

/// The Query protocol (CloudFormation, STS): a form-encoded POST of `Action`, `Version`
/// and parameters; an XML answer whose `<ActionResult>` holds the result.
struct QueryProtocol: Sendable {
    let transport: AWSTransport
    let version: String
    let serviceName: String

    init(config: AWSConfig, service: AWSService, version: String, serviceName: String) {
        transport = AWSTransport(config: config, service: service)
        self.version = version
        self.serviceName = serviceName
    }

    /// Calls `action` and returns its `<ActionResult>` element (empty when absent).
    @discardableResult
    func call(_ action: String, _ parameters: [(name: String, value: String)]) throws(AWSError) -> XMLElement {
        let body = AWSEncoding.formBody([("Action", action), ("Version", version)] + parameters)
        var request = AWSRequest(operation: "\(serviceName).\(action)", method: .post)
        request.headers = ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"]
        request.body = .bytes(Data(body.utf8))
        let response = try transport.send(request)
        let root: XMLElement
        do throws(XMLError) {
            root = try XMLReader.parse(response.body)
        } catch {
            throw AWSError(code: .invalidResponse, message: "\(action) answered with unreadable XML: \(error)",
                           status: response.status, operation: request.operation)
        }
        return root.child("\(action)Result") ?? XMLElement(name: "\(action)Result", attributes: [:], children: [], text: "")
    }

    /// Calls a paginated `action` page after page (`NextToken`; an empty token ends it
    /// too), handing each `<ActionResult>` to `page`, which returns false to stop early.
    func pages(_ action: String, _ parameters: [(name: String, value: String)],
               _ page: (XMLElement) throws(AWSError) -> Bool) throws(AWSError) {
        var token: String?
        repeat {
            let result = try call(action, parameters + (token.map { [("NextToken", $0)] } ?? []))
            guard try page(result) else { return }
            token = result.value("NextToken").flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
    }
}

/// Builds Query-protocol parameters: lists as `Name.member.N`, structures as `Name.member.N.Field`.
struct QueryParameters {
    private(set) var items: [(name: String, value: String)] = []

    mutating func add(_ name: String, _ value: String?) {
        if let value { items.append((name, value)) }
    }

    mutating func list(_ name: String, _ values: [String]) {
        for (index, value) in values.enumerated() { items.append(("\(name).member.\(index + 1)", value)) }
    }

    mutating func structures(_ name: String, _ values: [[(String, String?)]]) {
        for (index, fields) in values.enumerated() {
            for (field, value) in fields {
                if let value { items.append(("\(name).member.\(index + 1).\(field)", value)) }
            }
        }
    }
}
