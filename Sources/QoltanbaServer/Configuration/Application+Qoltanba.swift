import Vapor
import QoltanbaCore

extension Application {
    private struct ConfigurationKey: StorageKey {
        typealias Value = QoltanbaConfiguration
    }

    /// The configuration the application was configured with.
    public var qoltanba: QoltanbaConfiguration {
        get {
            guard let configuration = storage[ConfigurationKey.self] else {
                fatalError("configure(_:with:) has not been called")
            }
            return configuration
        }
        set { storage[ConfigurationKey.self] = newValue }
    }
}
