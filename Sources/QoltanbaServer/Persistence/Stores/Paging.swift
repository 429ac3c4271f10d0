import Fluent

/// One page of a list: `number` counts from 1.
struct ListPage<Row> {
    /// Rows on a page.
    static var size: Int { 50 }

    let rows: [Row]
    let number: Int
    let hasMore: Bool
}

extension QueryBuilder {
    /// The page `number` (kept within 1…10,000) of this query, read with one row more than a page
    /// to know whether another follows.
    func page(_ number: Int) async throws -> ListPage<Model> {
        let size = ListPage<Model>.size
        let number = Swift.max(1, Swift.min(number, 10_000))
        let rows = try await range(((number - 1) * size)..<(number * size + 1)).all()
        return ListPage(rows: Array(rows.prefix(size)), number: number, hasMore: rows.count > size)
    }
}
