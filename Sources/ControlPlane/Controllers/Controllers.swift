import KubeModel
import Logging
import ServiceLifecycle

enum Controllers {
    static func all(registry: Registry, logger: Logger) -> [any ServiceLifecycle.Service] {
        []
    }
}
