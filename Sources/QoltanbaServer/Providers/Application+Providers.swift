import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// The signing client's external services, sandbox or HTTP as configured.
struct ProviderSet: Sendable {
    var registry: any CitizenRegistry
    var liveness: any LivenessProvider
    var faceMatch: any FaceMatchProvider
    var sms: any SMSGateway
    var eDocument: any EDocumentService
}

extension Application {
    /// The providers; HTTP where a URL is configured, the sandbox's otherwise (in production every
    /// URL but the E-Document service's is required, so nothing falls back there).
    var providers: ProviderSet {
        get { service(storedBy: "configure(_:with:)") }
        set { store(service: newValue) }
    }

    func configureProviders() {
        let configuration = qoltanba
        let stores = self.stores
        func http(_ name: String, _ endpoint: QoltanbaConfiguration.ProviderEndpoint) -> HTTPProvider {
            HTTPProvider(name: name, endpoint: endpoint, timeout: configuration.providerTimeout, client: client, logger: logger)
        }
        let sandbox = SandboxProviders { iin in
            try await stores.citizens.sandboxOutcome(iin: iin)
        }
        let fallbackEDocument: any EDocumentService = configuration.mode == .sandbox ? sandbox : BuiltInEDocumentService()
        providers = ProviderSet(
            registry: configuration.registry.map { HTTPCitizenRegistry(provider: http("registry", $0)) }
                ?? stores.citizens,
            liveness: configuration.liveness.map { HTTPLivenessProvider(provider: http("liveness", $0)) } ?? sandbox,
            faceMatch: configuration.faceMatch.map { HTTPFaceMatchProvider(provider: http("face match", $0)) } ?? sandbox,
            sms: configuration.sms.map { HTTPSMSGateway(provider: http("sms", $0)) }
                ?? SandboxSMSGateway(store: stores.sandboxMessages, logger: logger),
            eDocument: configuration.eDocument.map { HTTPEDocumentService(provider: http("edocument", $0)) } ?? fallbackEDocument)
    }
}
