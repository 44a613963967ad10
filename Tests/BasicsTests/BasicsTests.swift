import Basics
import Foundation
import Synchronization
import Testing

struct WorkerPoolTests {
    @Test func parallelMapKeepsTheOrderOfItems() {
        let doubled = parallelMap(Array(0..<200), width: 4) { (value: Int) -> Int in value * 2 }
        #expect(doubled == (0..<200).map { $0 * 2 })
    }

    @Test func parallelMapThrowsTheFirstFailureInOrderAfterAllRan() {
        struct Odd: Error, Equatable { let value: Int }
        let ran = Mutex(0)
        #expect(throws: Odd(value: 3)) {
            _ = try parallelMap(Array(0..<10), width: 3) { (value: Int) throws(Odd) -> Int in
                ran.withLock { $0 += 1 }
                if value == 3 || value == 7 { throw Odd(value: value) }
                return value
            }
        }
        #expect(ran.withLock { $0 } == 10)
    }

    @Test func thePoolRunsNoMoreThanItsWidthAtOnceAndWaitsForLateSubmissions() {
        let pool = WorkerPool(width: 3)
        let counters = Mutex((running: 0, peak: 0, done: 0))
        for round in 0..<2 {
            for _ in 0..<30 {
                pool.submit {
                    counters.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running) }
                    usleep(500)
                    counters.withLock { $0.running -= 1; $0.done += 1 }
                }
            }
            pool.wait()
            #expect(counters.withLock { $0.done } == 30 * (round + 1))
        }
        let peak = counters.withLock { $0.peak }
        #expect(peak <= 3 && peak >= 1)
    }
}

struct HexTests {
    @Test func encodesAndDecodesLowercaseHex() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.decode("000fa5ff") == Data([0x00, 0x0f, 0xa5, 0xff]))
        #expect(Hex.decode("ABCD") == nil && Hex.decode("abc") == nil)
    }

    @Test func sha256HexMatchesTheKnownDigestAndTheStreamingHasher() {
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(sha256Hex(Data("abc".utf8)) == expected)
        var hasher = SHA256Hasher()
        hasher.update(Data("a".utf8))
        hasher.update(Data("bc".utf8))
        #expect(hasher.finalizeHex() == expected && hasher.count == 3)
        #expect(Hex.isSHA256(expected) && !Hex.isSHA256("abc"))
    }
}

struct ByteOrderTests {
    @Test func utf8PrecedesIsByteOrder() {
        // A folder's own path before what sorts between it and its content; UTF-8 byte
        // order, not UTF-16's (U+FF61 is EF BD A1, U+10000 is F0 90 80 80, a surrogate pair
        // in UTF-16) and not Unicode's (a precomposed é after the plain e + accent).
        let sorted = ["", "a", "a-b", "a/x", "b", "e\u{301}", "\u{E9}", "\u{FF61}", "\u{10000}"]
        for (index, left) in sorted.enumerated() {
            for (other, right) in sorted.enumerated() {
                #expect(left.utf8Precedes(right) == (index < other), "\(left) before \(right)")
            }
        }
        #expect("\u{10000}".utf16.lexicographicallyPrecedes("\u{FF61}".utf16))  // the orders differ here
        #expect("e\u{301}" == "\u{E9}")  // Swift's equality is canonical; byte order is not
    }

    @Test func utf8PrecedesAgreesWithTheGenericComparison() {
        var random = SplitMix64(seed: 17)
        let pieces = ["a", "b", "/", "-", ".", "\u{E9}", "\u{1F600}", "zz", "long-folder-name/", "0"]
        func text() -> String {
            (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        for _ in 0..<20_000 {
            let left = text(), right = Bool.random(using: &random) ? text() : left + text()
            #expect(left.utf8Precedes(right) == left.utf8.lexicographicallyPrecedes(right.utf8), "\(left) vs \(right)")
        }
    }
}
