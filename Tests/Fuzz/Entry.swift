import Foundation

// libFuzzer's entry point for scripts/fuzz: compiled with the Manifest module's sources
// and Tests/ManifestTests/FuzzExercise.swift into one instrumented binary. A broken
// property stops the run like a trap does, and libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func ferryFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let problem = FuzzExercise.run(Data(bytes: data, count: size)) {
        fatalError("property broken: \(problem)")
    }
    return 0
}
