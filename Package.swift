// swift-tools-version: 6.1
import PackageDescription

// Ferry: one tool that ships CloudFormation releases from a build account to many
// silo accounts. See README.md ("Architecture") for why each module exists.
let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
    ],
    dependencies: [
        // Command line parsing, help and completion.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256, HMAC (SigV4) and Ed25519 (signatures) on BoringSSL: fast, audited.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // YAML with CloudFormation short tags (pipelines, templates, agent config).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Structured logging, with a JSON handler for the agent.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries: module map + shim header, nothing else.
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),

        // Thin owners of the C libraries: every C pointer lives here and nowhere else.
        .target(name: "Git", dependencies: ["CGit2"]),
        .target(name: "Archive", dependencies: ["CArchive", "CDeflate", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "HTTP", dependencies: ["CCurl", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),

        // The shared format (no I/O) and AWS over HTTP.
        .target(name: "Manifest", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "AWS", dependencies: ["HTTP", .product(name: "Crypto", package: "swift-crypto")]),
        // The shared bucket's protocol: release objects, pointers, pins, status, over S3.
        .target(name: "Bucket", dependencies: ["AWS", "Manifest"]),

        // The three legs.
        .target(name: "Builder", dependencies: [
            "Git", "Archive", "AWS", "HTTP", "Manifest", "Bucket", "Yams",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Agent", dependencies: [
            "Archive", "AWS", "Manifest", "Bucket", "SQLite", "Yams",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // CloudFormation in memory, as the agent sees it: unit tests and the fleet simulator.
        .target(name: "MemoryStacks", dependencies: ["Agent", "AWS", "Manifest"]),
        .target(name: "Fleet", dependencies: ["AWS", "HTTP", "Manifest", "Bucket", "Yams"]),

        // The command line: parses, validates, calls a library module.
        .executableTarget(name: "ferry", dependencies: [
            "Builder", "Agent", "Fleet", "AWS", "Bucket", "HTTP", "Manifest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Test helpers: moto endpoint, temp folders, git fixtures, stand-in proxies.
        .target(name: "TestSupport", dependencies: ["Agent", "AWS", "HTTP", "Archive", "Bucket", "Manifest"], path: "Tests/Support",
                exclude: ["fault_proxy.py", "moto_auth.py", "cloudformation_failure_standin.py"]),
        .testTarget(name: "GitTests", dependencies: ["Git", "TestSupport"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestSupport"]),
        .testTarget(name: "AWSTests", dependencies: ["AWS", "TestSupport"]),
        .testTarget(name: "ManifestTests", dependencies: ["Manifest"]),
        .testTarget(name: "BucketTests", dependencies: ["Bucket", "TestSupport"]),
        .testTarget(name: "BuilderTests", dependencies: [
            "Builder", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "MemoryStacks", "TestSupport"]),
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "Builder", "Agent", "Fleet", "AWS", "Bucket", "Manifest", "TestSupport",
        ]),
    ]
)
