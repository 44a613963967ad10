// swift-tools-version: 6.1
import PackageDescription

// The test hooks (`FERRY_TEST_KILL_AT`, docs/agent.md) exist only in debug builds, which
// `swift test` and scripts/test build; the release build that ships has none.
let testHooks: [SwiftSetting] = [.define("FERRY_TEST_HOOKS", .when(configuration: .debug))]

// Ferry: one tool that ships CloudFormation releases from a build account to many
// silo accounts. See README.md ("Architecture") for why each module exists.
let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        // The benchmark harness (scripts/bench-*): not part of the product.
        .executable(name: "ferry-bench", targets: ["ferry-bench"]),
        // The in-process fleet simulator (scripts/simulate): not part of the product.
        .executable(name: "ferry-sim", targets: ["ferry-sim"]),
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

        // The bottom: the one worker pool, hex and SHA-256 helpers. Everything may use it.
        .target(name: "Basics", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // Thin owners of the C libraries: every C pointer lives here and nowhere else.
        .target(name: "Git", dependencies: ["CGit2", "Basics", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Archive", dependencies: ["CArchive", "CDeflate", "Basics", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "HTTP", dependencies: ["CCurl", "Basics", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),

        // The shared format (no I/O) and AWS over HTTP.
        .target(name: "Manifest", dependencies: ["Basics", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "AWS", dependencies: ["Basics", "HTTP", .product(name: "Crypto", package: "swift-crypto")]),
        // S3's object semantics in memory (ETags, versions, 304/412/404/403) for unit
        // tests and the fleet simulator.
        .target(name: "MemoryStore", dependencies: [
            "AWS", "Basics", "HTTP", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The shared bucket's protocol: release objects, pointers, pins, status, over any
        // object store.
        .target(name: "Bucket", dependencies: ["AWS", "Basics", "HTTP", "Manifest"]),

        // The three legs.
        .target(name: "Builder", dependencies: [
            "Basics", "Git", "Archive", "AWS", "Manifest", "Bucket", "Yams",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Agent", dependencies: [
            "Basics", "Archive", "AWS", "HTTP", "Manifest", "Bucket", "SQLite", "Yams",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: testHooks),
        // CloudFormation in memory, as the agent sees it: unit tests and the fleet simulator.
        .target(name: "MemoryStacks", dependencies: ["Agent", "AWS", "Manifest"]),
        .target(name: "Fleet", dependencies: ["AWS", "Basics", "Manifest", "Bucket", "Yams"]),

        // The command line: parses, validates, calls a library module.
        .executableTarget(name: "ferry", dependencies: [
            "Basics", "Builder", "Agent", "Archive", "Fleet", "AWS", "Bucket", "Git", "HTTP", "Manifest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: testHooks),
        // Benchmark commands for scripts/bench-* (unpack-bench, bench-fixture, http-bench).
        .executableTarget(name: "ferry-bench", dependencies: [
            "AWS", "Agent", "Archive", "Basics", "Bucket", "HTTP", "Manifest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The fleet simulator: N real agents over MemoryStore and MemoryStacks on simulated time.
        .target(name: "Simulator", dependencies: [
            "Agent", "Archive", "AWS", "Basics", "Bucket", "Fleet", "HTTP", "Manifest", "MemoryStacks", "MemoryStore",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "ferry-sim", dependencies: [
            "Simulator", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test helpers: moto endpoint, temp folders, git fixtures, stand-in proxies.
        .target(name: "TestSupport", dependencies: ["Agent", "AWS", "Basics", "HTTP", "Archive", "Bucket", "Manifest", "MemoryStore"],
                path: "Tests/Support",
                exclude: ["fault_proxy.py", "moto_auth.py", "cloudformation_failure_standin.py"]),
        .testTarget(name: "GitTests", dependencies: ["Git", "TestSupport"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "HTTPTests", dependencies: [
            "Basics", "HTTP", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestSupport"]),
        .testTarget(name: "AWSTests", dependencies: [
            "AWS", "HTTP", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "ManifestTests", dependencies: ["Basics", "Manifest"]),
        .testTarget(name: "MemoryStoreTests", dependencies: ["AWS", "MemoryStore", "TestSupport"]),
        .testTarget(name: "BucketTests", dependencies: ["AWS", "Basics", "Bucket", "Manifest", "MemoryStore", "TestSupport"]),
        .testTarget(name: "BuilderTests", dependencies: [
            "AWS", "Archive", "Basics", "Bucket", "Builder", "Git", "Manifest", "MemoryStore", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "AgentTests", dependencies: [
            "AWS", "Agent", "Archive", "Basics", "Bucket", "Manifest", "MemoryStacks", "MemoryStore", "SQLite", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: testHooks),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator"]),
        .testTarget(name: "FleetTests", dependencies: ["Basics", "Bucket", "Fleet", "Manifest", "MemoryStore", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "Builder", "Agent", "Archive", "Basics", "Fleet", "AWS", "Bucket", "HTTP", "Manifest", "MemoryStacks", "MemoryStore",
            "TestSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
