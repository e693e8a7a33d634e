import CSpawn
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The machine's own contribution to a latency tail, measured in the same run as the latency it qualifies: one
/// thread per core, bound to it, reads the monotonic clock in a loop for a while and records every gap between two
/// reads. On bare metal with nothing else running the gaps stay in the microseconds; on a virtual machine the
/// hypervisor's preemptions (time the guest's scheduler never sees, so no `steal` either in a container) show up as
/// gaps of a millisecond or more, and every packet in flight during one waits for it.
struct HostStalls: Sendable {
    struct Core: Sendable {
        var cpu: Int
        /// Gaps longer than 50 µs, 1 ms; the longest; the share of the time they took.
        var over50us = 0
        var over1ms = 0
        var maxNanoseconds: UInt64 = 0
        var lostNanoseconds: UInt64 = 0
        var elapsedNanoseconds: UInt64 = 0

        var lostPercent: Double { Double(lostNanoseconds) * 100 / Double(max(elapsedNanoseconds, 1)) }
    }

    var cores: [Core]

    /// Spins on each of `cpus` at once for `seconds` (the load of the benchmark is not running meanwhile).
    static func measure(cpus: [Int], seconds: Double) async -> HostStalls {
        await withTaskGroup(of: Core.self) { group in
            for cpu in cpus {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Core, Never>) in
                        Thread { done.resume(returning: spin(cpu: cpu, seconds: seconds)) }.start()
                    }
                }
            }
            var cores: [Core] = []
            for await core in group { cores.append(core) }
            return HostStalls(cores: cores.sorted { $0.cpu < $1.cpu })
        }
    }

    private static func spin(cpu: Int, seconds: Double) -> Core {
        var core = Core(cpu: cpu)
        guard jn_pin_thread(Int32(cpu)) == 0 else { return core }
        func now() -> UInt64 {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        }
        let start = now()
        let end = start + UInt64(seconds * 1e9)
        var previous = start
        while previous < end {
            let current = now()
            let gap = current - previous
            previous = current
            guard gap > 50_000 else { continue }
            core.over50us += 1
            if gap > 1_000_000 { core.over1ms += 1 }
            core.maxNanoseconds = max(core.maxNanoseconds, gap)
            core.lostNanoseconds += gap
        }
        core.elapsedNanoseconds = previous - start
        return core
    }

    /// One line: per core, the share of time lost to gaps over 50 µs, how many exceeded 1 ms, and the longest.
    var summary: String {
        cores.map { core in
            String(format: "CPU %d lost %.2f%% (%d gaps > 50 µs, %d > 1 ms, longest %.2f ms)", core.cpu,
                   core.lostPercent, core.over50us, core.over1ms, Double(core.maxNanoseconds) / 1e6)
        }.joined(separator: "; ")
    }
}
