import Vapor

func routes(_ app: Application) throws {
    try app.register(collection: SessionController(configuration: app.qoltanba))
    try app.register(collection: SignatureController(configuration: app.qoltanba))
    try app.register(collection: PKIController())
    try app.register(collection: OpenAPIController(publicURL: app.qoltanba.publicURL))
    try app.register(collection: SigningClientController(configuration: app.qoltanba))
    try app.register(collection: DownloadController(configuration: app.qoltanba))
    try app.register(collection: CheckController(configuration: app.qoltanba))
    try app.register(collection: CheckAPIController())
    try app.register(collection: CabinetController())
    try app.register(collection: HealthController())
    if app.qoltanba.metricsPort == nil { try app.register(collection: MetricsController()) }
}
