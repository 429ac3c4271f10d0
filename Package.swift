// swift-tools-version:6.0
import PackageDescription

/// Every target: a member of a module is visible only where that module is imported, so the
/// persistence target's Fluent types cannot leak through an indirect import.
let strict: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "qoltanba",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "qoltanba", targets: ["qoltanba"]),
        .executable(name: "qoltanba-bench", targets: ["QoltanbaBench"]),
        .executable(name: "qoltanba-fuzz", targets: ["QoltanbaFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // 0.x: a minor release may break the API.
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", .upToNextMinor(from: "0.9.20")),
        // Vapor's own dependencies, declared because the server imports them directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/vapor/routing-kit.git", from: "4.9.3"),
        // Metrics: the swift-metrics API (which Vapor reports HTTP requests to), exported by swift-prometheus.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The domain: sessions, identifiers, provider ports and errors. No Vapor, no Fluent.
        .target(
            name: "QoltanbaCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The trust core: certificate authority, key custody, CMS signing and verification. No Vapor.
        .target(
            name: "QoltanbaPKI",
            dependencies: [
                "QoltanbaCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Checks documents and makes stamped copies; C libraries are wrapped here only.
        .target(
            name: "QoltanbaDocuments",
            dependencies: [
                "QoltanbaCore", "CXMLCheck", "CQPDF", "CCairo", "CQREncode",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        // A narrow C entry to libxml2, so that its headers never meet Foundation's in Swift.
        .target(name: "CXMLCheck", dependencies: ["CLibXML2"]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CQPDF", pkgConfig: "libqpdf", providers: [.apt(["libqpdf-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        // The database: migrations, Fluent models and the stores, whose public interface speaks plain
        // values (QoltanbaCore's types and its own structs); the drivers are wired here alone.
        .target(
            name: "QoltanbaPersistence",
            dependencies: [
                "QoltanbaCore",
                "QoltanbaPKI",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The HTTP server, operator commands and sandbox providers.
        .target(
            name: "QoltanbaServer",
            dependencies: [
                "QoltanbaCore",
                "QoltanbaDocuments",
                "QoltanbaPKI",
                "QoltanbaPersistence",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "RoutingKit", package: "routing-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // The entrypoint: bootstraps logging and runs the server's commands.
        .executableTarget(
            name: "qoltanba",
            dependencies: ["QoltanbaServer"],
            swiftSettings: strict
        ),
        // `make bench-pki`: CMS sign and verify rates beside OpenSSL's.
        .executableTarget(name: "QoltanbaBench", dependencies: ["QoltanbaPKI", "QoltanbaCore", "QoltanbaDocuments"], swiftSettings: strict),
        // `make fuzz`: libFuzzer targets for every parser of outside bytes (see Sources/QoltanbaFuzz).
        .executableTarget(
            name: "QoltanbaFuzz",
            dependencies: ["QoltanbaPKI", "QoltanbaCore", "QoltanbaDocuments", .product(name: "X509", package: "swift-certificates")],
            swiftSettings: strict
        ),
        // What every suite shares: a server on a fresh database (SQLite or PostgreSQL), a signing-client
        // browser, sample documents, and the runner of the machine's tools (openssl, qpdf, unzip).
        .target(
            name: "QoltanbaTestSupport",
            dependencies: [
                "QoltanbaServer",
                "QoltanbaPersistence",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/QoltanbaTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "QoltanbaCoreTests", dependencies: ["QoltanbaCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .testTarget(
            name: "QoltanbaPKITests",
            dependencies: [
                "QoltanbaPKI", "QoltanbaCore", "QoltanbaTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "QoltanbaDocumentsTests", dependencies: ["QoltanbaDocuments", "QoltanbaCore", "QoltanbaTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "QoltanbaServerTests",
            dependencies: [
                "QoltanbaServer", "QoltanbaCore", "QoltanbaDocuments", "QoltanbaPKI", "QoltanbaPersistence", "QoltanbaTestSupport",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
    ]
)
