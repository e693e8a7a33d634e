// libFuzzer target for the DNS core: every input is decoded as a query and answered from a small synthetic cluster,
// over UDP and TCP limits, and every reply is decoded again. A trap anywhere is a bug.
//
// With libFuzzer, one SwiftPM command (DNS_FUZZING swaps in an entry point that starts libFuzzer's driver, because
// SwiftPM links executables with `--defsym main=DNSFuzz_main` and libFuzzer's own `main` would be unreachable):
//
//   swift build -c debug --product DNSFuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer \
//       -Xswiftc -parse-as-library -Xswiftc -DDNS_FUZZING -Xswiftc -enable-experimental-feature -Xswiftc Extern
//   mkdir -p /tmp/dns-corpus && .build-fuzz/debug/DNSFuzz /tmp/dns-corpus -max_total_time=60
//
// Or without SwiftPM's link step (libFuzzer's `main` is then used as is):
//
//   swift build -c debug --target DNSCore --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer
//   swiftc -sanitize=fuzzer -parse-as-library -I .build-fuzz/debug/Modules Sources/DNSFuzz/main.swift \
//       .build-fuzz/debug/DNSCore.build/*.o .build-fuzz/debug/KubeModel.build/*.o -o .build-fuzz/dnsfuzz
//
// Add `-sanitize=address` for ASan as well. Without those flags this is an ordinary executable that replays files
// given as arguments (a crash reproducer, say), or with no arguments runs a quick fixed-seed mutation loop.

import DNSCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FuzzHarness {
    static let index = DNSBenchmark.syntheticBuilder(services: 20, headlessEndpoints: 40).snapshot()
    static let resolver = ClusterResolver()

    static func run(_ bytes: [UInt8]) {
        for transport in [DNSTransport.udp, .tcp] {
            switch resolver.respond(to: bytes, transport: transport, index: index) {
            case .reply(let reply):
                check(reply, limit: transport == .udp ? 1232 : 65535)
            case .forward(let query):
                _ = query.encode()
            case .chase(_, let partial, _):
                check(partial.encode(), limit: 65535)
            case .drop:
                break
            }
        }
        // Round trip whatever decodes: encoding a decoded message must give bytes that decode again.
        if let message = try? DNSMessage(decoding: bytes) {
            guard (try? DNSMessage(decoding: message.encode())) != nil else {
                fatalError("re-encoded message does not decode")
            }
        }
    }

    static func check(_ reply: [UInt8], limit: Int) {
        guard reply.count <= limit else { fatalError("reply of \(reply.count) bytes over the \(limit)-byte limit") }
        guard (try? DNSMessage(decoding: reply)) != nil else { fatalError("our own reply does not decode") }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func dnsFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.run(bytes)
    return 0
}

#if DNS_FUZZING
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The entry point SwiftPM's link line names; hands the command line to libFuzzer.
@_cdecl("DNSFuzz_main")
public func dnsFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, dnsFuzzTestOneInput)
}
#endif

/// Reads a whole file, or nil.
func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, 4096, file) }
        if n <= 0 { break }
        out.append(contentsOf: buffer[0..<n])
    }
    return out
}

/// Replays files named on the command line, or runs a short fixed-seed mutation loop when there are none.
func runReplayDriver() {
    let arguments = CommandLine.arguments.dropFirst()
    if arguments.isEmpty {
        // No corpus: mutate a few queries with a fixed-seed generator.
        var state: UInt64 = 0x1234_5678_9ABC_DEF0
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let seeds = DNSBenchmark.queryPackets(services: 20, count: 16)
        let iterations = 200_000
        for _ in 0..<iterations {
            var packet = seeds[next() % seeds.count]
            for _ in 0..<(1 + next() % 4) {
                guard !packet.isEmpty else { break }
                switch next() % 3 {
                case 0: packet[next() % packet.count] = UInt8(truncatingIfNeeded: next())
                case 1: packet.removeLast(next() % packet.count)
                default: packet.insert(UInt8(truncatingIfNeeded: next()), at: next() % packet.count)
                }
            }
            FuzzHarness.run(packet)
        }
        print("\(iterations) mutated packets, no crash")
    } else {
        for path in arguments {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                continue
            }
            FuzzHarness.run(bytes)
            print("\(path): ok (\(bytes.count) bytes)")
        }
    }
}

// A global initialiser rather than a bare call. In the ordinary build main.swift is script code and runs it at start;
// in the libFuzzer build (`-parse-as-library`, which rejects top-level statements even inside an inactive `#if`) it
// is a lazily initialised global that nothing reads, so it never runs and libFuzzer's own `main` drives.
let replayDriver: Void = runReplayDriver()
