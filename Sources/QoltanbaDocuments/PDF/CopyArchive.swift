import Foundation
import ZIPFoundation

/// A ZIP written one file at a time, into memory or straight to a file, so that only the file
/// being added is held (and, in memory, the archive): the stamped copies of a session go in as
/// they are made.
public final class CopyArchive {
    private let archive: Archive

    /// An empty archive in memory.
    public init() throws {
        archive = try Archive(data: Data(), accessMode: .create)
    }

    /// An empty archive written to `file`.
    public init(file: URL) throws {
        archive = try Archive(url: file, accessMode: .create)
    }

    /// Adds `bytes` as `name` (UTF-8), deflated, reading them in chunks.
    public func add(_ name: String, _ bytes: [UInt8]) throws {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
            Data(bytes[Int(position)..<Int(position) + size])
        }
    }

    /// The bytes of an archive in memory.
    public func data() throws -> Data {
        guard let data = archive.data else { throw DocumentError("the archive could not be written") }
        return data
    }
}
