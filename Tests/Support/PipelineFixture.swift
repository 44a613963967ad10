import Foundation

/// A git repository holding one small pipeline, for the builder's tests:
///
/// ```
/// pipelines/<name>.yaml         source.path app, two stacks, the given tests
/// app/storage.yaml              a bucket (no artifacts)
/// app/api.yaml                  a Lambda function (Code: src/fn) and a nested stack (child.yaml)
/// app/child.yaml                a Lambda function (Code: src/worker)
/// app/src/fn/handler.py, data.bin (4 KiB of fixed pseudo-random bytes), run.sh (executable)
/// app/src/worker/worker.py
/// ```
///
/// Everything is committed once (commit time 1_700_000_000); `commit` adds more.
public final class PipelineFixture {
    public let git: GitFixture
    public let name: String
    public var path: String { git.path }

    /// One test of the definition: name, shell command, optional timeout in seconds.
    public struct Test: Sendable {
        public var name: String
        public var run: String
        public var timeout: Int?
        public init(_ name: String, _ run: String, timeout: Int? = nil) {
            self.name = name
            self.run = run
            self.timeout = timeout
        }
    }

    public init(name: String = "webapp", tests: [Test] = [], date: Int64 = 1_700_000_000) throws {
        git = try GitFixture("ferry-pipeline")
        self.name = name
        try git.write("pipelines/\(name).yaml", Self.definition(name: name, tests: tests))
        try git.write("app/storage.yaml", Self.storageTemplate)
        try git.write("app/api.yaml", Self.apiTemplate)
        try git.write("app/child.yaml", Self.childTemplate)
        try git.write("app/src/fn/handler.py", "def handler(event, context):\n    return {'ok': True}\n")
        try git.write("app/src/fn/run.sh", "#!/bin/sh\necho run\n")
        try git.write("app/src/fn/data.bin", bytes: Self.pseudoRandom(count: 4096, seed: 7))
        try git.write("app/src/worker/worker.py", "def work(event, context):\n    return 1\n")
        chmod(git.directory.url("app/src/fn/run.sh"), 0o755)
        try git.commitAll("First release of \(name)", date: date)
    }

    /// Writes a file and commits everything.
    @discardableResult
    public func commit(_ relative: String, _ contents: String, message: String = "change",
                       date: Int64 = 1_700_001_000) throws -> String {
        try git.write(relative, contents)
        return try git.commitAll(message, date: date)
    }

    public static func definition(name: String, tests: [Test]) -> String {
        var text = "pipeline: \(name)\nsource:\n  path: app\n"
        if !tests.isEmpty {
            text += "tests:\n"
            for test in tests {
                text += "  - name: \(test.name)\n    run: '\(test.run.replacingOccurrences(of: "'", with: "''"))'\n"
                if let timeout = test.timeout { text += "    timeout: \(timeout)\n" }
            }
        }
        text += """
        stacks:
          - name: \(name)-storage
            template: storage.yaml
            parameters: {Stage: prod}
            tags: {app: \(name)}
          - name: \(name)-api
            template: api.yaml
            capabilities: [CAPABILITY_IAM]
            dependsOn: [\(name)-storage]
        channels: [canary, stable]

        """
        return text
    }

    public static let storageTemplate = """
    AWSTemplateFormatVersion: '2010-09-09'
    Parameters:
      Stage: {Type: String}
    Resources:
      Data:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub 'data-${Stage}-${AWS::AccountId}'
    Outputs:
      DataBucket: {Value: !Ref Data}

    """

    public static let apiTemplate = """
    AWSTemplateFormatVersion: '2010-09-09'
    Resources:
      Role:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Version: '2012-10-17'
            Statement:
              - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}
      Function:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: handler.handler
          Role: !GetAtt Role.Arn
          Code: src/fn
      Child:
        Type: AWS::CloudFormation::Stack
        Properties:
          TemplateURL: child.yaml

    """

    public static let childTemplate = """
    AWSTemplateFormatVersion: '2010-09-09'
    Resources:
      WorkerRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Version: '2012-10-17'
            Statement:
              - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: worker.work
          Role: !GetAtt WorkerRole.Arn
          Code: src/worker

    """

    /// `count` bytes of a fixed xorshift sequence: incompressible, the same every run.
    public static func pseudoRandom(count: Int, seed: UInt64) -> Data {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            withUnsafeBytes(of: state) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
        }
        return Data(bytes)
    }
}
