import QoltanbaCore
import QoltanbaPersistence
import Vapor

extension Application {
    /// The storage slot of one service type: each service the application keeps is stored once, by its type.
    private struct Slot<Service: Sendable>: StorageKey {
        typealias Value = Service
    }

    /// The service of this type that configuration stored. Reading one before `step` stored it is a
    /// programming error, not something a request can cause.
    func service<Service: Sendable>(_ type: Service.Type = Service.self, storedBy step: String) -> Service {
        guard let service = storage[Slot<Service>.self] else { fatalError("\(step) has not been called") }
        return service
    }

    /// The service of this type, nil if none was stored.
    func optionalService<Service: Sendable>(_ type: Service.Type = Service.self) -> Service? {
        storage[Slot<Service>.self]
    }

    /// Stores the service of its type, replacing an earlier one (a test stores its own).
    func store<Service: Sendable>(service: Service) {
        storage[Slot<Service>.self] = service
    }

    /// The configuration the application was configured with.
    public var qoltanba: QoltanbaConfiguration {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }
}
