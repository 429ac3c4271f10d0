import NIOCore
import NIOFoundationCompat
import QoltanbaCore
import Vapor

/// One provider's HTTP endpoint: posts JSON with the bearer token and the timeout, and reads a
/// JSON answer. Anything but a 2xx answer whose body decodes is ``Unavailable``.
struct HTTPProvider: Sendable {
    /// The provider could not be asked or did not answer as documented.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    let endpoint: QoltanbaConfiguration.ProviderEndpoint
    let timeout: Int
    let client: any Client
    let logger: Logger

    /// Posts `body` and decodes the answer as `Answer`.
    func post<Answer: Decodable>(_ body: some Encodable, answer: Answer.Type) async throws -> Answer {
        let response = try await send(body)
        guard let buffer = response.body, let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer: buffer))
        else {
            logger.warning("provider answered garbage", metadata: ["provider": "\(name)"])
            throw Unavailable(description: "\(name) answered something that is not its documented JSON")
        }
        return answer
    }

    /// Posts `body`; any 2xx answer will do.
    func send(_ body: some Encodable) async throws -> ClientResponse {
        let response: ClientResponse
        do {
            response = try await client.post(URI(string: endpoint.url)) { request in
                try request.content.encode(body, as: .json)
                if let token = endpoint.token { request.headers.bearerAuthorization = BearerAuthorization(token: token) }
                request.timeout = .seconds(Int64(timeout))
            }
        } catch {
            logger.warning("provider unreachable", metadata: ["provider": "\(name)", "error": "\(String(reflecting: type(of: error)))"])
            throw Unavailable(description: "\(name) could not be reached")
        }
        guard (200..<300).contains(response.status.code) else {
            logger.warning("provider refused", metadata: ["provider": "\(name)", "status": "\(response.status.code)"])
            throw Unavailable(description: "\(name) answered \(response.status.code)")
        }
        return response
    }
}

private func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

/// The citizen registry (MCDB) over HTTP.
struct HTTPCitizenRegistry: CitizenRegistry {
    let provider: HTTPProvider

    private struct Name: Decodable {
        let surname: String, givenName: String, patronymic: String?
        enum CodingKeys: String, CodingKey { case surname, givenName = "given_name", patronymic }
        var person: PersonName { PersonName(surname: surname, givenName: givenName, patronymic: patronymic ?? "") }
    }

    private struct Answer: Decodable {
        let found: Bool
        let name: Name?, latinName: Name?, photo: String?
        enum CodingKeys: String, CodingKey { case found, name, latinName = "latin_name", photo }
    }

    /// - Throws: ``QoltanbaError/registryUnavailable`` when the registry cannot be asked.
    func citizen(iin: IIN, phone: PhoneNumber) async throws -> Citizen? {
        guard let answer = try? await provider.post(["iin": iin.digits, "phone": phone.digits], answer: Answer.self)
        else { throw QoltanbaError.registryUnavailable }
        guard answer.found else { return nil }
        guard let name = answer.name else { throw QoltanbaError.registryUnavailable }
        return Citizen(
            iin: iin, phone: phone, name: name.person, latinName: (answer.latinName ?? name).person,
            photo: answer.photo.flatMap { Data(base64Encoded: $0) }.map(Array.init))
    }
}

/// The liveness service over HTTP.
struct HTTPLivenessProvider: LivenessProvider {
    let provider: HTTPProvider

    private struct Request: Encodable {
        let sessionID: String, frames: [String]
        enum CodingKeys: String, CodingKey { case sessionID = "session_id", frames }
    }

    private struct Answer: Decodable { let live: Bool }

    func judge(frames: [[UInt8]], session: UUID, iin: IIN) async -> LivenessVerdict {
        guard let answer = try? await provider.post(Request(sessionID: session.apiString, frames: frames.map(base64)), answer: Answer.self)
        else { return .unavailable }
        return answer.live ? .live : .notLive
    }
}

/// The face-match service over HTTP.
struct HTTPFaceMatchProvider: FaceMatchProvider {
    let provider: HTTPProvider

    private struct Request: Encodable {
        let sessionID: String, iin: String, image: String, reference: String?
        enum CodingKeys: String, CodingKey { case sessionID = "session_id", iin, image, reference }
    }

    private struct Answer: Decodable { let match: Bool }

    func match(image: [UInt8], reference: [UInt8]?, session: UUID, iin: IIN) async -> FaceMatchVerdict {
        let request = Request(sessionID: session.apiString, iin: iin.digits, image: base64(image), reference: reference.map(base64))
        guard let answer = try? await provider.post(request, answer: Answer.self) else { return .unavailable }
        return answer.match ? .match : .mismatch
    }
}

/// The SMS gateway over HTTP.
struct HTTPSMSGateway: SMSGateway {
    let provider: HTTPProvider

    func send(to phone: PhoneNumber, text: String, code: String) async throws {
        _ = try await provider.send(["to": phone.digits, "text": text])
    }
}

/// The E-Document (certificate issuing) service over HTTP.
struct HTTPEDocumentService: EDocumentService {
    let provider: HTTPProvider

    private struct Answer: Decodable { let approved: Bool }

    func approve(iin: IIN, reissue: Bool) async -> EDocumentVerdict {
        let body = ["iin": iin.digits, "action": reissue ? "reissue" : "issue"]
        guard let answer = try? await provider.post(body, answer: Answer.self) else { return .unavailable }
        return answer.approved ? .approved : .refused
    }
}
