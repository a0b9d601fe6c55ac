import Dispatch

/// Runs `body(i)` for every `i` in `0..<count` on all cores (Dispatch's
/// `concurrentPerform`) and returns the results in index order. The one
/// place the project fans work out over threads: loading shards, scanning
/// chunks, comparing histories, preparing appended events.
///
/// `body` is `@Sendable`: it runs on several threads at once, so it may only
/// read what it captures. Each result is made by one iteration and handed to
/// the caller after every iteration has finished; results need not be
/// `Sendable` (no two threads ever hold the same one).
public func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer {
        results.deinitialize()
        results.deallocate()
    }
    let slots = DisjointSlots(results)
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: count) { i in slots.write(body(i), at: i) }
    }
    // Read only after the join: `concurrentPerform` returns once every iteration has.
    return results.map { $0! }
}

/// The result slots of `parallelMap`, written from worker threads.
///
/// Safety contract (why `@unchecked Sendable` is sound here): slot `i` is
/// written by exactly one iteration (iteration `i`) and by nothing else, no
/// iteration reads any slot, and the caller reads the slots only after
/// `concurrentPerform` has returned (which orders every write before the
/// reads). Distinct slots are distinct memory, so no two threads ever touch
/// the same bytes. The buffer outlives the workers (freed after the join).
private struct DisjointSlots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T?>
    init(_ buffer: UnsafeMutableBufferPointer<T?>) { self.buffer = buffer }
    func write(_ value: T, at i: Int) { buffer[i] = value }
}

/// Hands a value that is not `Sendable` to `parallelMap`'s workers when they
/// only READ it (a raw buffer, a list of non-`Sendable` values, a repository
/// handle whose use is thread-safe). Every use says why reading it from
/// several threads is safe; never use it for a value a worker mutates.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
