// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "arriwa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "arriwa", targets: ["arriwa"]),
        .library(name: "ArriwaCore", targets: ["ArriwaCore"]),
        .executable(name: "arriwa-bench", targets: ["ArriwaBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
    ],
    targets: [
        // Model, YAML loading with source positions, expressions, validator. No I/O beyond
        // reading the files it is asked to load; no NIO, no database.
        .target(
            name: "ArriwaCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Classifiers behind one protocol: the offline rules classifier and an OpenAI-compatible
        // chat-completions client (AsyncHTTPClient), chained rules-first.
        .target(
            name: "ArriwaClassify",
            dependencies: [
                "ArriwaCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Session stores behind one `Store` protocol: PostgreSQL (production), SQLite (embedded
        // default) and in memory (tests, `arriwa chat`).
        .target(
            name: "ArriwaStore",
            dependencies: [
                "ArriwaCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Drives the pure engine: classification outside the turn, effects applied to a store,
        // timers fired by a clock.
        .target(
            name: "ArriwaRuntime",
            dependencies: ["ArriwaCore", "ArriwaStore"],
            swiftSettings: swiftSettings
        ),
        // The `arriwa` command line: a thin @main, one file per subcommand.
        .executableTarget(
            name: "arriwa",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "ArriwaClassify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // Counts malloc calls for the benchmarks (glibc's __libc_malloc under our malloc). Linked
        // only into arriwa-bench, never into the product.
        .target(name: "CMallocCounter"),
        .executableTarget(
            name: "ArriwaBenchmarks",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "CMallocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fake external services (chat completions, later WhatsApp and sinks) on loopback.
        .target(
            name: "ArriwaTestSupport",
            dependencies: [
                "ArriwaCore",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaCoreTests",
            dependencies: ["ArriwaCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaStoreTests",
            dependencies: ["ArriwaCore", "ArriwaStore", "ArriwaTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaRuntimeTests",
            dependencies: ["ArriwaCore", "ArriwaStore", "ArriwaClassify", "ArriwaRuntime", "ArriwaTestSupport"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
