// `make bench-pki`: CMS sign and verify operations per second for ECDSA P-256 and RSA-2048,
// beside OpenSSL's raw signature rates on this machine, with the ratio.
// `make bench-documents` (`qoltanba-bench documents`): see DocumentsBenchmark.
import Foundation
import QoltanbaCore
import QoltanbaPKI

/// Runs `body` repeatedly for about `seconds` and returns the operations per second. It runs on the caller's
/// actor, so that no call pays for a hop between executors.
func rate(
    seconds limit: Double = 1, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void
) async rethrows -> Double {
    try await body()  // warm up
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while true {
        for _ in 0..<16 { try await body() }
        count += 16
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if seconds >= limit { return Double(count) / seconds }
    }
}

/// OpenSSL's `speed` sign/s and verify/s for one algorithm, measured for one second.
func opensslSpeed(_ algorithm: SigningKey.Algorithm) throws -> (sign: Double, verify: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = ["speed", "-seconds", "1", algorithm == .p256 ? "ecdsap256" : "rsa2048"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    // `speed` times itself with SIGALRM; the threads Swift's concurrency runs on block it, and a child inherits
    // the mask of the thread that starts it.
    var all = sigset_t(), previous = sigset_t()
    sigemptyset(&all)
    pthread_sigmask(SIG_SETMASK, &all, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    for line in output.split(separator: "\n") where line.contains("rsa 2048 bits") || line.contains("ecdsa (nistp256)") {
        let fields = line.split(separator: " ").map(String.init)
        if fields.count >= 4, let verify = Double(fields[fields.count - 1]), let sign = Double(fields[fields.count - 2]) {
            return (sign, verify)
        }
    }
    return (.nan, .nan)
}

if CommandLine.arguments.dropFirst().first == "documents" {
    try DocumentsBenchmark.run()
    exit(0)
}

let rounds = 3
let content = Array(repeating: UInt8(ascii: "q"), count: 1024)
let (authority, _, _) = try CertificateAuthority.create(name: "Qoltanba Benchmark")
let identity = SignerIdentity(
    iin: try IIN("871008401427"), name: PersonName(surname: "Нұрланова", givenName: "Әсел", patronymic: "Қайратқызы"))
let verifier = CMSVerifier(trustRoots: [authority.root], intermediates: [authority.issuing])
if ProcessInfo.processInfo.environment["QOLTANBA_BENCH_PROFILE"] != nil {
    // A fixed amount of P-256 signing, for a profiler.
    let key = try SigningKey.generate(.p256)
    let certificate = try authority.issueSignerCertificate(for: identity, publicKey: key.publicKey, crlURL: "http://x/pki/crl")
    let signer = try CMSSigner(key: key, certificate: certificate, chain: [authority.issuing])
    for _ in 0..<20000 { _ = try signer.sign(content) }
    exit(0)
}

print("CMS SignedData over 1 KiB, attached, CAdES-BES attributes, signer certificate and issuing CA included.")
print("Verify = digest, signature, validity and the chain to the root. Single thread.")
print("This machine is shared: each rate is the best of \(rounds) one-second rounds, Qoltanba's and OpenSSL's interleaved.\n")
func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
print(column("algorithm", 12) + column("CMS sign/s", 12) + column("openssl sign/s", 16) + column("ratio", 7)
    + column("swift-crypto sign/s", 21) + column("CMS verify/s", 14) + column("openssl verify/s", 18) + "ratio")
var goalMet = true
for algorithm in SigningKey.Algorithm.allCases {
    let key = try SigningKey.generate(algorithm)
    let certificate = try authority.issueSignerCertificate(
        for: identity, publicKey: key.publicKey, crlURL: "http://127.0.0.1:8080/pki/crl")
    let signer = try CMSSigner(key: key, certificate: certificate, chain: [authority.issuing])
    let cms = try signer.sign(content)
    var signRate = 0.0, primitive = 0.0, reference = (sign: 0.0, verify: 0.0)
    for _ in 0..<rounds {
        let openssl = try opensslSpeed(algorithm)
        reference = (max(reference.sign, openssl.sign), max(reference.verify, openssl.verify))
        signRate = max(signRate, try await rate { _ = try signer.sign(content) })
        // The bare signature primitive (SHA-256 and the signature, no CMS): the floor under the CMS rate.
        primitive = max(primitive, try await rate { _ = try key.sign(content) })
    }
    let verifyRate = try await rate {
        let report = try await verifier.verify(cms)
        precondition(report.indication == .totalPassed)
    }
    goalMet = goalMet && signRate / reference.sign >= 0.5
    print(column(algorithm.rawValue, 12) + column(String(format: "%.0f", signRate), 12)
        + column(String(format: "%.0f", reference.sign), 16) + column(String(format: "%.2f", signRate / reference.sign), 7)
        + column(String(format: "%.0f", primitive), 21)
        + column(String(format: "%.0f", verifyRate), 14) + column(String(format: "%.0f", reference.verify), 18)
        + String(format: "%.2f", verifyRate / reference.verify))
}
print("\nGoal: CMS sign rate at least half of OpenSSL's raw signature rate: \(goalMet ? "met" : "NOT met").")
print("swift-crypto sign/s is the bare primitive Qoltanba signs with (SHA-256 and the signature, no CMS).")
