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
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
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
        // The `arriwa` command line: a thin @main, one file per subcommand.
        .executableTarget(
            name: "arriwa",
            dependencies: [
                "ArriwaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArriwaCoreTests",
            dependencies: ["ArriwaCore"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
