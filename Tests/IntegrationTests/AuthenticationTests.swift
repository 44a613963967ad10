import AWS
import Foundation
import HTTP
import TestSupport
import Testing

/// Ferry's own SigV4 against a dedicated moto server that checks signatures (the shared
/// server runs without checks). A right signature passes, a wrong one fails, for S3 and
/// for the Query APIs, with long-term keys and with STS session credentials. Keys here
/// avoid `+`, `%2F` and non-ASCII: moto re-signs those wrongly (see MOTO.md); their
/// encoding is covered by AWS's published vectors in SigV4Tests.
@Suite(.serialized) struct AuthenticationTests {
    let moto: MotoServer
    let key: (accessKeyId: String, secretAccessKey: String, roleArn: String)

    init() throws {
        moto = try MotoServer()
        key = try moto.enableAuthentication()
    }

    func config(secret: String? = nil) throws -> AWSConfig {
        try AWSTestConfig.make(endpoint: moto.endpoint, accessKeyId: key.accessKeyId,
                               secretAccessKey: secret ?? key.secretAccessKey)
    }

    @Test func rightSignaturesPassAndWrongOnesFail() throws {
        let good = try config()
        let bucket = uniqueName("ferry-auth")
        let s3 = S3(config: good)
        try s3.createBucket(bucket)
        let dir = try TemporaryDirectory()
        let file = try dir.write("payload.txt", String(repeating: "signed payload ", count: 1000))
        _ = try s3.putObject(bucket: bucket, key: "releases/app/1.0.0/bundle.zip", file: file)
        _ = try s3.putObject(bucket: bucket, key: "status/app/silo a.json", data: Data("{}".utf8))
        #expect(try s3.getObject(bucket: bucket, key: "releases/app/1.0.0/bundle.zip").body?.count == 15000)
        // A prefix without "/": moto decodes "%2F" in the query before checking (MOTO.md).
        #expect(try s3.listObjects(bucket: bucket, prefix: "status").objects.map(\.key) == ["status/app/silo a.json"])
        let identity = try STS(config: good).getCallerIdentity()
        #expect(identity.arn.hasSuffix(":user/ferry-test"))
        #expect(try CloudFormation(config: good).describeStack(uniqueName("absent")) == nil)

        let bad = try config(secret: key.secretAccessKey + "x")
        let s3Error = #expect(throws: AWSError.self) { try S3(config: bad).getObject(bucket: bucket, key: "status/app/silo a.json") }
        #expect(s3Error?.code == .signatureDoesNotMatch && s3Error?.status == 403)
        let stsError = #expect(throws: AWSError.self) { try STS(config: bad).getCallerIdentity() }
        #expect(stsError?.code == .signatureDoesNotMatch)
        // Neither error shows the secret.
        for error in [s3Error, stsError].compactMap({ $0 }) {
            #expect(!"\(error)".contains(key.secretAccessKey))
        }

        let unknown = try AWSTestConfig.make(endpoint: moto.endpoint, accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x")
        let unknownError = #expect(throws: AWSError.self) { try S3(config: unknown).headObject(bucket: bucket, key: "x") }
        #expect(unknownError?.status == 403)
    }

    @Test func assumedRoleSessionCredentialsAreSignedWithTheirToken() throws {
        let assumed = try config().assumingRole(arn: key.roleArn, sessionName: "ferry-auth-test")
        let credentials = try assumed.credentials.credentials()
        #expect(credentials.sessionToken != nil && credentials.expiration != nil)
        let identity = try STS(config: assumed).getCallerIdentity()
        #expect(identity.arn.contains(":assumed-role/ferry-auth-role/ferry-auth-test"))
        let bucket = uniqueName("ferry-role")
        try S3(config: assumed).createBucket(bucket)
        _ = try S3(config: assumed).putObject(bucket: bucket, key: "x.json", data: Data("1".utf8))
        #expect(try S3(config: assumed).getObject(bucket: bucket, key: "x.json").body == Data("1".utf8))
        #expect(assumed.credentials.source.hasPrefix("assumed role \(key.roleArn) via test"))
    }
}
