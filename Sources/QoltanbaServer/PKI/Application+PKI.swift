import Vapor

extension Application {
    /// The certificate authority, ready once `prepareDatabase()` has run.
    var pki: PKIService {
        get { service(storedBy: "prepareDatabase()") }
        set { store(service: newValue) }
    }
}
