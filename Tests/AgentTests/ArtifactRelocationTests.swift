import Agent
import Testing

@Suite struct ArtifactRelocationTests {
    static let code = "ferry/artifacts/sha256/" + String(repeating: "c", count: 64)
    static let nested = "ferry/artifacts/sha256/" + String(repeating: "d", count: 64)
    static let relocation = ArtifactRelocation(
        sharedBucket: "shared", siloBucket: "silo-bucket", siloURLBase: "https://s3.eu-west-1.amazonaws.com/",
        artifactKeys: [code, nested])

    /// (template text, relocated text), nested templates stored under "NEW/<key>".
    static let table: [(String, String)] = [
        // s3:// URIs (CodeUri, ScriptLocation...)
        ("CodeUri: s3://shared/\(code)\n", "CodeUri: s3://silo-bucket/\(code)\n"),
        // {S3Bucket, S3Key}, YAML and JSON
        ("Code:\n  S3Bucket: shared\n  S3Key: \(code)\n", "Code:\n  S3Bucket: silo-bucket\n  S3Key: \(code)\n"),
        (#"{"S3Bucket": "shared", "S3Key": "\#(code)"}"#, #"{"S3Bucket": "silo-bucket", "S3Key": "\#(code)"}"#),
        // nested templates by path-style URL, https and http, quoted and bare
        ("TemplateURL: https://s3.us-east-1.amazonaws.com/shared/\(nested)\n",
         "TemplateURL: https://s3.eu-west-1.amazonaws.com/silo-bucket/NEW/\(nested)\n"),
        (#""TemplateURL": "http://127.0.0.1:5000/shared/\#(nested)","#,
         #""TemplateURL": "https://s3.eu-west-1.amazonaws.com/silo-bucket/NEW/\#(nested)","#),
        // a URL to a key the manifest does not list: into the silo bucket, where it fails
        ("TemplateURL: https://s3.amazonaws.com/shared/other.yaml\n",
         "TemplateURL: https://s3.amazonaws.com/silo-bucket/other.yaml\n"),
        // longer names that contain the shared bucket's name are other buckets
        ("Bucket: shared-logs\nOther: my-shared\nThird: sharedx\n", "Bucket: shared-logs\nOther: my-shared\nThird: sharedx\n"),
        // nothing to do
        ("Resources: {}\n", "Resources: {}\n"),
    ]

    @Test(arguments: table.indices) func relocates(_ index: Int) {
        let (input, expected) = Self.table[index]
        #expect(Self.relocation.relocate(input) { "NEW/" + $0 } == expected)
    }

    @Test func nestedKeysInOrderOnce() {
        let text = """
            A: https://h/shared/\(Self.nested)
            B: s3://shared/\(Self.code)
            C: https://h/shared/\(Self.nested)
            D: https://h/shared/\(Self.code)
            """
        #expect(Self.relocation.nestedTemplateKeys(in: text) == [Self.nested, Self.code])
    }

    @Test func virtualHostedReferenceIsFound() {
        #expect(ArtifactRelocation.virtualHostedReference(to: "shared", in: "U: https://shared.s3.amazonaws.com/k"))
        #expect(!ArtifactRelocation.virtualHostedReference(to: "shared", in: "U: https://my-shared.s3.amazonaws.com/k"))
        #expect(!ArtifactRelocation.virtualHostedReference(to: "shared", in: "S3Bucket: shared"))
    }
}
