import Fluent

/// One page of a list: `number` counts from 1.
public struct ListPage<Row> {
    /// Rows on a page.
    public static var size: Int { 50 }

    public let rows: [Row]
    public let number: Int
    public let hasMore: Bool

    public init(rows: [Row], number: Int, hasMore: Bool) {
        self.rows = rows
        self.number = number
        self.hasMore = hasMore
    }

    /// The page `number` of rows read with one more than a page, to know whether another follows.
    public init(rows: [Row], number: Int) {
        self.init(rows: Array(rows.prefix(Self.size)), number: number, hasMore: rows.count > Self.size)
    }

    /// A page number kept within 1…10,000.
    public static func clamped(_ number: Int) -> Int { Swift.max(1, Swift.min(number, 10_000)) }
}

extension QueryBuilder {
    /// The page `number` (kept within 1…10,000) of this query, read with one row more than a page
    /// to know whether another follows.
    func page(_ number: Int) async throws -> ListPage<Model> {
        let size = ListPage<Model>.size
        let number = ListPage<Model>.clamped(number)
        return ListPage(rows: try await range(((number - 1) * size)..<(number * size + 1)).all(), number: number)
    }
}
