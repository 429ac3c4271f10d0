import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus
import QoltanbaPersistence

/// The process's metrics, through swift-metrics into one Prometheus registry: Vapor's
/// `http_requests_total`, `http_request_duration_seconds` and `http_request_errors_total` (by
/// method, route and status), and Qoltanba's own below. Only counts, durations and depths: no
/// metric carries an id, a name or any other data of a session.
enum QoltanbaMetrics {
    static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = NIOLockedValueBox(false)

    /// Makes swift-metrics report into ``registry``: once a process (swift-metrics allows no more).
    static func bootstrap() {
        bootstrapped.withLockedValue { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            done = true
        }
    }

    /// Every metric in Prometheus's text format (version 0.0.4).
    static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(32 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// `qoltanba_sessions_created_total`.
    static func sessionCreated() {
        Counter(label: "qoltanba_sessions_created_total").increment()
    }

    /// `qoltanba_signing_step_duration_seconds{step}`: how long a step of the signing client took to answer.
    static func signingStep(_ step: String, took duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Timer(label: "qoltanba_signing_step_duration_seconds", dimensions: [("step", step)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// `qoltanba_webhook_deliveries_total{outcome}`: `delivered`, `retry` or `dead`.
    static func webhookDelivery(_ outcome: String) {
        Counter(label: "qoltanba_webhook_deliveries_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// `qoltanba_webhook_queue_depth`: the events waiting for delivery, as the dispatcher last counted them.
    static func webhookQueue(_ depth: Int) {
        Gauge(label: "qoltanba_webhook_queue_depth").record(depth)
    }

    /// `qoltanba_pool_in_use{pool}`: the pieces of work a bounded pool holds (running and queued).
    static func pool(_ name: String, inUse: Int) {
        Gauge(label: "qoltanba_pool_in_use", dimensions: [("pool", name)]).record(inUse)
    }

    /// `qoltanba_database_connections_limit`: the most connections the database pools open.
    static func databaseConnectionLimit(_ limit: Int) {
        Gauge(label: "qoltanba_database_connections_limit").record(limit)
    }

    /// `qoltanba_database_connections{state}`: the pools' connections `in_use` (running a statement or
    /// inside a transaction) and `idle`, as last counted.
    static func databaseConnections(inUse: Int, idle: Int) {
        Gauge(label: "qoltanba_database_connections", dimensions: [("state", "in_use")]).record(inUse)
        Gauge(label: "qoltanba_database_connections", dimensions: [("state", "idle")]).record(idle)
    }
}
