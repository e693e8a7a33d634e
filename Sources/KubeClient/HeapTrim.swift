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
        mallopt(-8, count)  // M_ARENA_MAX in malloc.h
    }

    /// Serves every allocation of `bytes` or more with its own `mmap`, returned to the kernel when freed
    /// (`mallopt(M_MMAP_THRESHOLD, bytes)`, which also stops glibc from raising the threshold by itself). By
    /// default glibc raises it to the size of the largest block freed so far, up to 32 MB, so after one large
    /// transaction text the next ones come from the heap, and the long-lived objects allocated among them keep
    /// those pages from being returned.
    public static func mmapAllocations(from bytes: Int32) {
        mallopt(-3, bytes)  // M_MMAP_THRESHOLD in malloc.h
    }

    private static func mallopt(_ parameter: Int32, _ value: Int32) {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Option.self)(parameter, value)
        #endif
    }

    public static func releaseFreedMemory() {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
