import Foundation
import KubeModel

/// Serves `pods/{name}/log` from the files node agents write on this machine
/// (`<dir>/<namespace>_<pod>_<uid>/<container>.log`); `follow` polls for growth until the pod is gone.
public struct FilePodLogs: PodLogSource {
    public let dir: String
    let registry: Registry

    public init(dir: String, registry: Registry) {
        self.dir = dir
        self.registry = registry
    }

    public func logs(namespace: String, pod: String, container: String, follow: Bool, tailLines: Int?) async throws
        -> AsyncStream<[UInt8]>
    {
        let obj = try registry.get(ResourceCatalog.pods, namespace: namespace, name: pod)
        let uid = obj.value(at: ["metadata", "uid"])?.stringValue ?? ""
        let path = "\(dir)/\(namespace)_\(pod)_\(uid)/\(container).log"
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(pod)\" is waiting to start: ContainerCreating")
        }
        var initial = (try? handle.readToEnd()) ?? Data()
        if let tailLines {
            let lines = initial.split(separator: 0x0A, omittingEmptySubsequences: false)
            let keep = lines.suffix(tailLines + (initial.last == 0x0A ? 1 : 0))
            initial = Data(keep.joined(separator: [0x0A]))
        }
        let first = [UInt8](initial)
        let registry = self.registry
        return AsyncStream { continuation in
            continuation.yield(first)
            guard follow else {
                try? handle.close()
                continuation.finish()
                return
            }
            let task = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    if let more = try? handle.readToEnd(), !more.isEmpty { continuation.yield([UInt8](more)) }
                    let current = try? registry.get(ResourceCatalog.pods, namespace: namespace, name: pod)
                    if current?.value(at: ["metadata", "uid"])?.stringValue != uid { break }
                }
                try? handle.close()
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
