/// One property the packager rewrites: which resource type, where in its
/// `Properties`, and what the rewritten value looks like.
///
/// The first block is exactly the AWS CLI's list (awscli 1.45,
/// `customizations/cloudformation/artifact_exporter.py`, `RESOURCES_EXPORT_LIST`); the
/// second adds what the SAM CLI also packages (`samcli/lib/package/packageable_resources.py`).
struct PackagerRule: Sendable {
    enum Shape: Sendable, Equatable {
        /// `s3://bucket/key`
        case s3URI
        /// `{<bucket>: bucket, <key>: key}`
        case s3Dict(bucket: String, key: String)
        /// A nested template: packaged itself, stored, then its path-style URL.
        case nestedTemplate
    }

    enum Property: Sendable, Equatable {
        /// A property path, e.g. `["Command", "ScriptLocation"]`.
        case path([String])
        /// Every `CodeUri` under `Resolvers` and `Functions` of an
        /// `AWS::Serverless::GraphQLApi` (SAM CLI's `find_all_paths_and_values`).
        case graphQLCodeUris
    }

    let resourceType: String
    let property: Property
    let shape: Shape
    /// A missing or empty property means the template's own folder (the CLI's
    /// `PACKAGE_NULL_PROPERTY`); otherwise such a property is left alone.
    let packageWhenMissing: Bool
    /// A single file that is not a zip is zipped first (the CLI's `FORCE_ZIP`).
    let forceZip: Bool

    init(_ resourceType: String, _ property: String, _ shape: Shape = .s3URI,
         whenMissing: Bool, forceZip: Bool = false) {
        self.resourceType = resourceType
        self.property = .path(property.split(separator: ".").map(String.init))
        self.shape = shape
        self.packageWhenMissing = whenMissing
        self.forceZip = forceZip
    }

    init(graphQLCodeUris resourceType: String) {
        self.resourceType = resourceType
        self.property = .graphQLCodeUris
        self.shape = .s3URI
        self.packageWhenMissing = false
        self.forceZip = false
    }

    var propertyName: String {
        switch property {
        case .path(let path): return path.joined(separator: ".")
        case .graphQLCodeUris: return "CodeUri"
        }
    }

    static let bucketKey = Shape.s3Dict(bucket: "Bucket", key: "Key")
    static let s3BucketKey = Shape.s3Dict(bucket: "S3Bucket", key: "S3Key")

    /// Resource properties, in the order the AWS CLI visits them.
    static let resources: [PackagerRule] = [
        // aws cloudformation package
        .init("AWS::Serverless::Function", "CodeUri", whenMissing: true, forceZip: true),
        .init("AWS::Serverless::Api", "DefinitionUri", whenMissing: false),
        .init("AWS::AppSync::GraphQLSchema", "DefinitionS3Location", whenMissing: false),
        .init("AWS::AppSync::Resolver", "RequestMappingTemplateS3Location", whenMissing: false),
        .init("AWS::AppSync::Resolver", "ResponseMappingTemplateS3Location", whenMissing: false),
        .init("AWS::AppSync::FunctionConfiguration", "RequestMappingTemplateS3Location", whenMissing: false),
        .init("AWS::AppSync::FunctionConfiguration", "ResponseMappingTemplateS3Location", whenMissing: false),
        .init("AWS::ApiGateway::RestApi", "BodyS3Location", bucketKey, whenMissing: false),
        .init("AWS::Lambda::Function", "Code", s3BucketKey, whenMissing: true, forceZip: true),
        .init("AWS::ElasticBeanstalk::ApplicationVersion", "SourceBundle", s3BucketKey, whenMissing: true),
        .init("AWS::CloudFormation::Stack", "TemplateURL", .nestedTemplate, whenMissing: false),
        .init("AWS::Serverless::Application", "Location", .nestedTemplate, whenMissing: false),
        .init("AWS::Serverless::LayerVersion", "ContentUri", whenMissing: true, forceZip: true),
        .init("AWS::Lambda::LayerVersion", "Content", s3BucketKey, whenMissing: true, forceZip: true),
        .init("AWS::Glue::Job", "Command.ScriptLocation", whenMissing: true),
        .init("AWS::StepFunctions::StateMachine", "DefinitionS3Location", bucketKey, whenMissing: false),
        .init("AWS::Serverless::StateMachine", "DefinitionUri", bucketKey, whenMissing: false),
        .init("AWS::CodeCommit::Repository", "Code.S3", bucketKey, whenMissing: false, forceZip: true),
        // sam package, beyond the AWS CLI
        .init("AWS::Serverless::HttpApi", "DefinitionUri", whenMissing: false),
        .init("AWS::AppSync::Resolver", "CodeS3Location", whenMissing: false),
        .init("AWS::AppSync::FunctionConfiguration", "CodeS3Location", whenMissing: false),
        .init("AWS::ApiGatewayV2::Api", "BodyS3Location", bucketKey, whenMissing: false),
        .init("AWS::CloudFormation::ModuleVersion", "ModulePackage", whenMissing: true),
        .init("AWS::CloudFormation::ResourceVersion", "SchemaHandlerPackage", whenMissing: true),
        .init("AWS::Serverless::GraphQLApi", "SchemaUri", whenMissing: false),
        .init(graphQLCodeUris: "AWS::Serverless::GraphQLApi"),
    ]

    /// Entries of the template's `Metadata` section, keyed by the entry's name.
    static let metadata: [PackagerRule] = [
        .init("AWS::ServerlessRepo::Application", "ReadmeUrl", whenMissing: false),
        .init("AWS::ServerlessRepo::Application", "LicenseUrl", whenMissing: false),
    ]
}
