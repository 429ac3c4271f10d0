import AsyncHTTPClient
import Foundation
import QoltanbaCore
import QoltanbaPKI
import QoltanbaPersistence
import Vapor

/// Delivers the outbox: every few seconds it claims due events (on PostgreSQL with
/// `FOR UPDATE SKIP LOCKED`, so that several instances never take the same one), posts each with
/// its signature, logs the attempt, and marks it delivered, schedules the next try, or marks it
/// dead. A claim lapses, so an event whose instance died is taken up again. Deliveries run
/// concurrently, at most `QOLTANBA_WEBHOOK_CONCURRENCY` in all and
/// `QOLTANBA_WEBHOOK_CONCURRENCY_PER_ORGANIZATION` for one organization, so a receiver that never
/// answers holds only its own organization's share.
enum WebhookDispatcher {
    /// A round of the delivery job (every `QOLTANBA_WEBHOOK_POLL_SECONDS`): delivers what is due
    /// and reports the queue's depth.
    static func round(_ app: Application) async throws {
        try await deliverDue(app)
        QoltanbaMetrics.webhookQueue(try await app.stores.webhooks.pendingCount())
    }

    /// What a task of a round reports when it ends.
    private enum Finished: Sendable {
        case delivery(organization: UUID)
        case tick
    }

    /// Delivers every event that is due, and those that fall due while deliveries run (the outbox
    /// is looked at again every poll interval and whenever a delivery ends), until none is due and
    /// none runs. Cancelled (at shutdown), it claims no more and lets the deliveries running end.
    /// - Returns: how many were attempted.
    @discardableResult
    static func deliverDue(_ app: Application) async throws -> Int {
        let settings = app.qoltanba.webhooks
        let store = app.stores.webhooks
        // A claim outlives the delivery's timeout, so that no other instance takes it meanwhile.
        let lease = TimeInterval(settings.timeout) + 30
        return try await withThrowingTaskGroup(of: Finished.self) { group in
            var running: [UUID: Int] = [:]
            var attempted = 0
            var ticking = false
            while true {
                while !Task.isCancelled, running.values.reduce(0, +) < settings.concurrency {
                    let full = running.filter { $0.value >= settings.concurrencyPerOrganization }.map(\.key)
                    let found: (event: UUID, organization: UUID)?
                    do {
                        found = try await store.claimDue(now: Date(), lease: lease, excluding: full)
                    } catch {
                        // The deliveries running go on; the outbox is looked at again at the next tick.
                        app.logger.warning("webhook claim failed", metadata: ["error": "\(String(reflecting: error))"])
                        break
                    }
                    guard let claim = found else { break }
                    running[claim.organization, default: 0] += 1
                    attempted += 1
                    group.addTask {
                        do {
                            try await deliver(claim.event, app: app)
                        } catch {
                            app.logger.warning("webhook delivery failed", metadata: ["event": "\(claim.event.apiString)", "error": "\(String(reflecting: error))"])
                        }
                        return .delivery(organization: claim.organization)
                    }
                }
                if running.isEmpty {
                    group.cancelAll()
                    return attempted
                }
                // Cancelled, a sleep ends at once: no ticks then, only the deliveries' ends.
                if !ticking, !Task.isCancelled {
                    ticking = true
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(settings.pollInterval * 1000)))
                        return .tick
                    }
                }
                switch try await group.next() {
                case .delivery(let organization):
                    running[organization] = running[organization].map { $0 - 1 }.flatMap { $0 > 0 ? $0 : nil }
                case .tick:
                    ticking = false
                case nil:
                    return attempted
                }
            }
        }
    }

    /// Posts one claimed event and records what happened. Cancelled before an answer (at
    /// shutdown), it records nothing and releases the claim: the event is delivered again, with
    /// the same `X-Webhook-Id`.
    static func deliver(_ id: UUID, app: Application) async throws {
        let stores = app.stores
        let settings = app.qoltanba.webhooks
        guard var event = try await stores.webhooks.event(id), event.state == .pending,
              let organization = try await stores.organizations.organization(event.organizationID)
        else { return }
        let started = Date()
        var status: Int?
        var retryAfter: TimeInterval?
        var failure: String?
        if let url = organization.webhookURL, let secrets = try? WebhookSecrets.all(of: organization, sealer: app.sealer, now: started) {
            switch await WebhookSecrets.target(of: url, allowPrivate: settings.allowPrivate, resolver: app.webhookResolver) {
            case .failure(let refusal):
                failure = refusal.description
            case .success(let target):
                // Connect to the address that was checked, whatever the name resolves to now.
                do {
                    let body = Array(event.payload.utf8)
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "User-Agent", value: "Qoltanba-Webhooks/1")
                    request.headers.add(name: "X-Webhook-Id", value: id.apiString)
                    request.headers.add(name: "X-Signature", value: WebhookSignature.header(body: body, secrets: secrets, time: Date()))
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await app.webhookClients.with(host: target.host, address: target.address) { client in
                        try await client.execute(request, timeout: .seconds(Int64(settings.timeout)))
                    }
                    status = Int(response.status.code)
                    retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryAfter.seconds($0, now: Date()) }
                } catch {
                    if Task.isCancelled {
                        try await stores.webhooks.release(event.id)
                        return
                    }
                    failure = "no answer: \(String(describing: type(of: error)))"
                }
            }
        } else {
            failure = "the organization has no webhook"
        }
        let now = Date()
        let delivered = status.map { (200..<300).contains($0) } ?? false
        event.attempts += 1
        event.lastStatus = status
        event.lastError = delivered ? nil : failure ?? "answered \(status ?? 0)"
        if delivered {
            event.state = .delivered
            event.deliveredAt = now
        } else if let delay = settings.schedule.delay(after: event.attempts, jitter: Double.random(in: 0...1), retryAfter: retryAfter) {
            event.nextAttemptAt = now.addingTimeInterval(delay)
        } else {
            event.state = .dead
        }
        let attempt = WebhookAttempt(
            eventID: id, attemptedAt: started, status: status, error: event.lastError, milliseconds: Int(now.timeIntervalSince(started) * 1000))
        try await stores.webhooks.record(attempt, of: event)
        QoltanbaMetrics.webhookDelivery(delivered ? "delivered" : event.state == .dead ? "dead" : "retry")
        app.logger.info("webhook attempt", metadata: [
            "event": "\(id.apiString)", "state": "\(event.state.rawValue)", "status": "\(status.map(String.init) ?? "-")", "attempts": "\(event.attempts)",
        ])
    }
}

/// An organization's webhook secrets: sealed under the master key; the previous one signs too for
/// a day after a rotation.
enum WebhookSecrets {
    /// How long the previous secret keeps signing after a rotation.
    static let overlap: TimeInterval = 24 * 3600

    static func box(_ organization: Organization) -> Sealer.Box {
        .webhookSecret(organization: organization.id)
    }

    /// The secrets to sign with now: the current one, and the previous one during the overlap.
    static func all(of organization: Organization, sealer: Sealer, now: Date) throws -> [String] {
        guard let sealed = organization.webhookSecret else { return [] }
        var secrets = [String(decoding: try sealer.open(sealed, as: box(organization)), as: UTF8.self)]
        // A previous secret no configured key opens is left out rather than stopping every delivery.
        if let previous = organization.webhookPreviousSecret, let until = organization.webhookPreviousUntil, now < until,
           let opened = try? sealer.open(previous, as: box(organization)) {
            secrets.append(String(decoding: opened, as: UTF8.self))
        }
        return secrets
    }

    /// Where a delivery to `url` connects: its host and the one address checked for it, or why
    /// there is none (not an http(s) URL; a host that does not resolve or, unless private
    /// addresses are allowed, resolves to any special-purpose address).
    static func target(of url: String, allowPrivate: Bool, resolver: @escaping WebhookAddress.Resolver) async
        -> Result<(host: String, address: String), WebhookAddress.Refusal>
    {
        guard let host = WebAddress.host(ofAbsoluteHTTP: url) else { return .failure(.notHTTP) }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return await WebhookAddress.pin(host: bare, allowPrivate: allowPrivate, resolver: resolver).map { (host, $0) }
    }

    /// Why a URL may not be a webhook, or nil when it may (see ``target(of:allowPrivate:resolver:)``).
    static func refusal(of url: String, allowPrivate: Bool, resolver: @escaping WebhookAddress.Resolver = WebhookAddress.system) async -> String? {
        if case .failure(let refusal) = await target(of: url, allowPrivate: allowPrivate, resolver: resolver) { return refusal.description }
        return nil
    }

    /// Sets the organization's webhook URL with a new secret; an earlier secret keeps signing for a
    /// day. Returns the new secret: the only time it is shown.
    static func set(url: String, for organizationID: UUID, sealer: Sealer, allowPrivate: Bool, in store: OrganizationStore)
        async throws -> String
    {
        if let refusal = await refusal(of: url, allowPrivate: allowPrivate) { throw QoltanbaError(.operatorError, refusal) }
        guard let organization = try await store.organization(organizationID) else { throw QoltanbaError.organizationNotFound }
        let secret = WebhookSignature.newSecret()
        // The replaced secret is kept under the current master key: during a key rotation it may
        // still be under the previous one, and the rotation, which read the organization before,
        // would not see it here.
        let previous = organization.webhookSecret.map { current in (try? sealer.resealed(current, as: box(organization))) ?? current }
        try await store.setWebhook(
            of: organization.id, url: url, secret: try sealer.seal(Array(secret.utf8), as: box(organization)), previous: previous,
            previousUntil: previous == nil ? nil : Date().addingTimeInterval(overlap))
        return secret
    }

    /// Makes an event due again now (also a dead one), with a fresh count of attempts.
    static func redeliver(_ text: String, in store: WebhookStore) async throws -> WebhookEvent {
        guard let id = UUID(uuidString: text), try await store.redeliver(id), let event = try await store.event(id) else {
            throw QoltanbaError(.operatorError, "no webhook event has the id '\(text)'")
        }
        return event
    }
}

extension Application {
    /// How webhook hosts are resolved: the system's resolver, or a test's double.
    var webhookResolver: WebhookAddress.Resolver {
        get { optionalService() ?? WebhookAddress.system }
        set { store(service: newValue) }
    }
}
