import Foundation
import QoltanbaCore
import QoltanbaPKI
import Vapor

extension Application {
    /// Sealing with the master key, ready once `prepareDatabase()` has run.
    var sealer: Sealer {
        get { service(storedBy: "prepareDatabase()") }
        set { store(service: newValue) }
    }

    /// The master key: `QOLTANBA_MASTER_KEY`, or in the sandbox `master.key` in the data folder,
    /// made on first start (readable by the owner only).
    /// During a rotation it also opens what `QOLTANBA_MASTER_KEY_PREVIOUS` sealed.
    func loadMasterKey() throws -> MasterKey {
        let key = try loadCurrentMasterKey()
        return qoltanba.previousMasterKey.map(key.opening) ?? key
    }

    private func loadCurrentMasterKey() throws -> MasterKey {
        if let key = qoltanba.masterKey { return key }
        let file = URL(fileURLWithPath: qoltanba.dataDirectory).appendingPathComponent("master.key")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            do {
                return try MasterKey(base64: text)
            } catch {
                throw QoltanbaError(.operatorError, "\(file.path) does not hold a master key (base64 of 32 bytes)")
            }
        }
        let key = MasterKey.generate()
        try FileManager.default.createDirectory(atPath: qoltanba.dataDirectory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(
            atPath: file.path, contents: Data((key.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw QoltanbaError(.operatorError, "cannot write the sandbox master key to \(file.path)")
        }
        logger.notice("generated the sandbox master key", metadata: ["path": "\(file.path)"])
        return key
    }
}
