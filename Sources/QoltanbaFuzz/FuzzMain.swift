#if QOLTANBA_FUZZ
import Foundation

// Built by `make fuzz` with `-sanitize=fuzzer,address -parse-as-library -D QOLTANBA_FUZZ`: libFuzzer
// brings the driver, and SwiftPM calls an executable target's entry point `<Target>_main`, which
// hands control to it. `qoltanba-fuzz TARGET [libFuzzer options] [corpus folders]`.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Set once, before libFuzzer starts calling.
nonisolated(unsafe) var selectedTarget: (@Sendable ([UInt8]) -> Void)?

/// libFuzzer's entry point for one input (its runtime refers to it by this name).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget?(bytes)
    return 0
}

@_cdecl("QoltanbaFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let names = FuzzTargets.all.keys.sorted().joined(separator: ", ")
    guard argc >= 2, let first = argv[1], let target = FuzzTargets.all[String(cString: first)] else {
        FileHandle.standardError.write(Data("usage: qoltanba-fuzz TARGET [libFuzzer options] [corpus…]; targets: \(names)\n".utf8))
        return 2
    }
    selectedTarget = target
    _ = FuzzTargets.fixture
    // libFuzzer reads the options after the program's name: drop the target's name.
    var count = argc - 1
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv + 1
    arguments?[0] = argv[0]
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}
#else
import Foundation

/// Without the fuzzer runtime this program only says how to build it.
@main
enum FuzzNotBuilt {
    static func main() {
        FileHandle.standardError.write(Data("qoltanba-fuzz is built and run by `make fuzz` (libFuzzer, AddressSanitizer)\n".utf8))
        exit(2)
    }
}
#endif
