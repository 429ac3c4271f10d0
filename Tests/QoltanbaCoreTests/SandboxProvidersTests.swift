import Foundation
import QoltanbaCore
import Testing

@Suite("Sandbox providers")
struct SandboxProvidersTests {
    let session = UUID()

    func providers(_ outcome: SandboxOutcome?) -> SandboxProviders {
        SandboxProviders { _ in outcome }
    }

    @Test("each test citizen's outcome drives liveness, face match and the E-Document service")
    func outcomes() async throws {
        let iin = try IIN("871008401427")
        let frames: [[UInt8]] = [[1]]
        #expect(await providers(.success).judge(frames: frames, session: session, iin: iin) == .live)
        #expect(await providers(.livenessFails).judge(frames: frames, session: session, iin: iin) == .notLive)
        #expect(await providers(.livenessUnavailable).judge(frames: frames, session: session, iin: iin) == .unavailable)
        #expect(await providers(.faceMatchFails).judge(frames: frames, session: session, iin: iin) == .live)
        #expect(await providers(.faceMatchFails).match(image: [1], reference: nil, session: session, iin: iin) == .mismatch)
        #expect(await providers(.success).match(image: [1], reference: nil, session: session, iin: iin) == .match)
        #expect(await providers(.certificateServiceUnavailable).approve(iin: iin, reissue: false) == .unavailable)
        #expect(await providers(.success).approve(iin: iin, reissue: true) == .approved)
        // Someone who is not a test citizen gets nothing from the sandbox.
        #expect(await providers(nil).judge(frames: frames, session: session, iin: iin) == .unavailable)
    }
}
