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
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
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
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Drives the pure engine: classification outside the turn, effects applied to a store,
        // timers fired by a clock. The durable services of `arriwa serve` (turn workers, timer
        // scheduler, outbox dispatcher with its channels and sinks) live here too.
        .target(
            name: "ArriwaRuntime",
            dependencies: [
                "ArriwaCore", "ArriwaStore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // WhatsApp providers (Cloud API, Gupshup, Evolution): webhook parsing and signature checks
        // into the engine's provider-neutral events, outbound request building and the HTTP
        // channels the outbox dispatcher sends through.
        .target(
            name: "ArriwaChannels",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Conversion and CRM sinks for the outbox: Meta Conversions API, Custom Audiences, Kommo;
        // Stripe and CRM webhooks turned into external events.
        .target(
            name: "ArriwaSinks",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP: the provider-neutral inbound webhook, health checks and Prometheus metrics.
        .target(
            name: "ArriwaServer",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "ArriwaChannels", "ArriwaSinks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `arriwa` command line: a thin @main, one file per subcommand.
        .executableTarget(
            name: "arriwa",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "ArriwaClassify", "ArriwaServer", "ArriwaChannels", "ArriwaSinks",
                // `arriwa fake-provider` runs the fake WhatsApp provider for demos.
                "ArriwaTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
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
                // The ingest benchmark: the real webhook route, and a load generator on loopback.
                "ArriwaServer", "ArriwaChannels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The ingest benchmark's lean keep-alive load generator.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fake external services (chat completions, later WhatsApp and sinks) on loopback.
        .target(
            name: "ArriwaTestSupport",
            dependencies: [
                "ArriwaCore", "ArriwaStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                // The fake WhatsApp provider posts status webhooks back.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
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
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaClassify", "ArriwaRuntime", "ArriwaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaServerTests",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "ArriwaServer", "ArriwaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaChannelsTests",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "ArriwaChannels", "ArriwaServer", "ArriwaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The HTTP app (route and end-to-end tests) takes a Prometheus registry.
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaSinksTests",
            dependencies: [
                "ArriwaCore", "ArriwaStore", "ArriwaRuntime", "ArriwaSinks", "ArriwaServer", "ArriwaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
