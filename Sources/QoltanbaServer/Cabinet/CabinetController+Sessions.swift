import Foundation
import QoltanbaCore
import QoltanbaPersistence
import Vapor

/// The cabinet's lists: sessions with their timelines, and webhook deliveries.
extension CabinetController {
    func sessions(_ request: Request) async throws -> Response {
        try await page(request) { visit, staff in
            let status = (try? request.query.get(String.self, at: "status")) ?? ""
            var filter = CabinetPage.SessionFilter(
                status: SessionStatus(rawValue: status), from: (try? request.query.get(String.self, at: "from")) ?? "",
                to: (try? request.query.get(String.self, at: "to")) ?? "")
            let organizationID = staff.organization.id
            // Sessions past their time to live are listed as canceled, recorded or not.
            let sessions = request.stores.sessions
            let from = Self.day(filter.from), to = Self.day(filter.to)
            var error: String?
            if (!filter.from.isEmpty && from == nil) || (!filter.to.isEmpty && to == nil) {
                error = visit.page.text(.badDate)
                filter.from = from == nil ? "" : filter.from
                filter.to = to == nil ? "" : filter.to
            }
            let listed = try await sessions.list(
                organizationID: organizationID, status: filter.status, from: from, to: to.map { $0.addingTimeInterval(24 * 3600) },
                page: Self.pageNumber(request))
            return visit.page.sessions(listed.rows.map(CabinetPage.Session.init), filter: filter, page: listed.number, hasMore: listed.hasMore, error: error)
        }
    }

    /// The start of a `YYYY-MM-DD` day in UTC.
    static func day(_ text: String) -> Date? {
        guard text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else { return nil }
        return try? Date("\(text)T00:00:00Z", strategy: .iso8601)
    }

    func session(_ request: Request) async throws -> Response {
        try await page(request) { visit, staff in
            guard let id = request.parameters.get("session").flatMap(UUID.init(uuidString:)),
                  case let organizationID = staff.organization.id,
                  let session = try await request.stores.sessions.find(id, visibleTo: organizationID)
            else {
                return visit.page.message(.notFound, status: .notFound)
            }
            let documents = try await request.stores.sessions.documentCount(of: id)
            let timeline = try await SessionTimeline.entries(of: session, in: request.stores, language: visit.language)
            return visit.page.session(.init(session), documents: documents, timeline: timeline)
        }
    }

    // MARK: Webhook deliveries

    func webhooks(_ request: Request) async throws -> Response {
        try await page(request) { visit, staff in
            let state = (try? request.query.get(String.self, at: "state")).flatMap(WebhookEvent.State.init(rawValue:))
            let listed = try await request.stores.webhooks.list(
                organizationID: staff.organization.id, state: state, page: Self.pageNumber(request))
            let events = listed.rows.map(CabinetPage.Event.init)
            return visit.page.webhooks(
                events, state: state?.rawValue ?? "", page: listed.number,
                hasMore: listed.hasMore, notice: visit.notice(request))
        }
    }

    func redeliver(_ request: Request, _ visit: Visit, _ form: Form) async throws -> Response {
        try await acting(request, visit) { staff in
            guard let id = request.parameters.get("event").flatMap(UUID.init(uuidString:)),
                  let event = try await request.stores.webhooks.event(id),
                  event.organizationID == staff.organization.id
            else {
                return visit.page.message(.notFound, status: .notFound)
            }
            _ = try await WebhookSecrets.redeliver(id.apiString, in: request.stores.webhooks)
            request.logger.info("webhook redelivery asked in the cabinet", metadata: ["event": "\(id.apiString)"])
            return Self.redirect(request, "/cabinet/webhooks", done: .redelivered)
        }
    }
}
