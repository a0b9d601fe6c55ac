import Dispatch
import Synchronization

/// Runs `body(i)` for every `i` in `0..<count` on all cores (Dispatch's
/// `concurrentPerform`) and returns the results in index order. With
/// `orderedPipeline` (for a stream of unknown length), the one place the
/// project fans work out over threads: loading shards, scanning chunks,
/// comparing histories, preparing appended events, importing files.
///
/// `body` is `@Sendable`: it runs on several threads at once, so it may only
/// read what it captures. Each result is made by one iteration and handed to
/// the caller after every iteration has finished; results need not be
/// `Sendable` (no two threads ever hold the same one).
package func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
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
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

/// Streams items through every core while the calling thread keeps
/// producing and consuming: `produce` (on the calling thread) makes the next
/// item, or nil at the end; `transform` runs on a worker thread for each
/// item; `consume` gets the outputs on the calling thread, in the order the
/// items were produced. At most `window` items are in flight (produced and
/// not yet consumed), so memory stays bounded however long the stream.
///
/// Unlike a `parallelMap` per batch, no core waits for a batch's slowest
/// item, and the serial work (reading and framing the next item, consuming
/// the outputs) overlaps the transforms instead of alternating with them:
/// `spend import` reads, converts and collects a file this way.
///
/// A throw from `produce` or `consume` stops the stream: no new item is
/// produced, the items in flight are waited for (their outputs dropped), and
/// the error is rethrown. `transform` cannot throw (return a failure value).
package func orderedPipeline<Item: Sendable, Output: Sendable, Failure: Error>(
    window: Int,
    produce: () throws(Failure) -> Item?,
    transform: @escaping @Sendable (Item) -> Output,
    consume: (Output) throws(Failure) -> Void
) throws(Failure) {
    let window = max(1, window)
    let finished = PipelineOutputs<Output>()
    var produced = 0
    var consumed = 0
    var ended = false
    // Each finished transform signals once and each wait takes one signal;
    // the loop waits only while an output is outstanding, so it never waits
    // for a signal that will not come.
    func waitForRest() {
        while consumed < produced {
            finished.signal.wait()
            while finished.take(consumed) != nil { consumed += 1 }
        }
    }
    while true {
        while !ended && produced - consumed < window {
            let item: Item?
            do { item = try produce() } catch {
                waitForRest()
                throw error
            }
            guard let item else {
                ended = true
                break
            }
            let index = produced
            produced += 1
            DispatchQueue.global().async { finished.put(transform(item), at: index) }
        }
        if ended && consumed == produced { return }
        finished.signal.wait()
        while let output = finished.take(consumed) {
            consumed += 1
            do { try consume(output) } catch {
                waitForRest()
                throw error
            }
        }
    }
}

/// The finished outputs of `orderedPipeline` by item index, until the
/// calling thread takes them: a mutex guards the table, a semaphore counts
/// the outputs put.
private final class PipelineOutputs<Output: Sendable>: Sendable {
    let table = Mutex<[Int: Output]>([:])
    let signal = DispatchSemaphore(value: 0)

    func put(_ output: Output, at index: Int) {
        table.withLock { $0[index] = output }
        signal.signal()
    }

    func take(_ index: Int) -> Output? {
        table.withLock { $0.removeValue(forKey: index) }
    }
}
