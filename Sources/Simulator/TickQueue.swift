import Foundation

/// The silos' next tick times: a binary min-heap of (time, silo index), ties broken by
/// the index so a run is the same for the same seed.
struct TickQueue {
    private var heap: [(time: Date, index: Int)] = []

    var isEmpty: Bool { heap.isEmpty }

    /// The earliest tick time.
    var peek: Date? { heap.first?.time }

    mutating func push(_ time: Date, _ index: Int) {
        heap.append((time, index))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes the earliest tick and returns its silo.
    mutating func pop() -> Int? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, Self.before(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, Self.before(heap[right], heap[smallest]) { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.index
    }

    private static func before(_ a: (time: Date, index: Int), _ b: (time: Date, index: Int)) -> Bool {
        a.time < b.time || (a.time == b.time && a.index < b.index)
    }
}
