#if canImport(Glibc)
import Glibc
#endif

/// Returns freed heap memory to the kernel (glibc's `malloc_trim(0)`).
///
/// Daemons call it after their first sync. The first list of every Service and EndpointSlice is parsed whole, which at 10,000 services takes tens of
/// megabytes for a moment; glibc keeps those pages after they are freed, so without a trim the process would hold
/// its start-up peak for the rest of its life. `malloc_trim` is looked up at run time because Swift's Glibc module
/// does not import `malloc.h`; on other C libraries this does nothing.
public enum HeapTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    private typealias Option = @convention(c) (Int32, Int32) -> Int32

    /// Caps glibc's malloc arenas (`mallopt(M_ARENA_MAX, n)`). glibc gives threads arenas of their own, up to 8
    /// per core, and memory freed in one stays there: the proxy's parallel libnftables fills left 768 MB of VmRSS
    /// at 10k Services × 25 endpoints with the default, 267 MB with two arenas, at no measured cost in sync time.
    public static func limitArenas(_ count: Int32) {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let arenaMax: Int32 = -8  // M_ARENA_MAX in malloc.h
        _ = unsafeBitCast(symbol, to: Option.self)(arenaMax, count)
        #endif
    }

    public static func releaseFreedMemory() {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
