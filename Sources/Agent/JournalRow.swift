import Foundation
import Manifest
import SQLite

/// One row of a journal table, read strictly: a value that is missing, of the wrong type
/// or not one this ferry knows is refused with an error naming the table, the row and
/// the value. Nothing is ever defaulted (issue 11: an unknown `state` read as `failed`
/// blocked that serial for ever).
struct JournalRow {
    let table: String
    let row: Row
    let path: String

    /// `row` must carry the table's rowid as the column `row_id` (`SELECT rowid AS row_id, ...`).
    init(_ table: String, _ row: Row, path: String) {
        self.table = table
        self.row = row
        self.path = path
    }

    var id: String { row["row_id"].int64.map(String.init) ?? "?" }

    func text(_ column: String) throws(AgentError) -> String {
        guard let value = row[column].string else { throw refused(column, "is \(describe(column)), not text") }
        return value
    }

    func optionalText(_ column: String) throws(AgentError) -> String? {
        if case .null = row[column] { return nil }
        return try text(column)
    }

    func integer(_ column: String) throws(AgentError) -> Int64 {
        guard let value = row[column].int64 else { throw refused(column, "is \(describe(column)), not an integer") }
        return value
    }

    func optionalInteger(_ column: String) throws(AgentError) -> Int64? {
        if case .null = row[column] { return nil }
        return try integer(column)
    }

    /// 0 or 1.
    func flag(_ column: String) throws(AgentError) -> Bool {
        switch try integer(column) {
        case 0: return false
        case 1: return true
        case let other: throw refused(column, "is \(other), not 0 or 1")
        }
    }

    /// A value of a closed set (`State(rawValue:)`); `known` lists the accepted spellings.
    func choice<T>(_ column: String, known: [String], _ make: (String) -> T?) throws(AgentError) -> T {
        let value = try text(column)
        guard let chosen = make(value) else {
            throw refused(column, "'\(value)' is not one of \(known.joined(separator: ", "))")
        }
        return chosen
    }

    func semver(_ column: String) throws(AgentError) -> SemVer {
        let value = try text(column)
        do {
            return try SemVer(value)
        } catch {
            throw refused(column, "'\(value)' is not a version")
        }
    }

    /// JSON of `type` in `column`.
    func json<T: Decodable>(_ type: T.Type, _ column: String) throws(AgentError) -> T {
        let value = try text(column)
        do {
            return try JSONDecoder().decode(type, from: Data(value.utf8))
        } catch {
            throw refused(column, "does not decode as \(T.self) (\(Self.reason(error)))")
        }
    }

    func optionalJSON<T: Decodable>(_ type: T.Type, _ column: String) throws(AgentError) -> T? {
        if case .null = row[column] { return nil }
        return try json(type, column)
    }

    func refused(_ column: String, _ problem: String) -> AgentError {
        AgentError(.journal, "the journal \(path) has a row this ferry cannot read: table \(table), row \(id), "
            + "column \(column) \(problem); it was written by another ferry or damaged: use the ferry that wrote "
            + "it, or move the state folder aside to start afresh", next: .needsPerson)
    }

    private func describe(_ column: String) -> String {
        switch row[column] {
        case .null: "missing"
        case .integer(let value): "the integer \(value)"
        case .text(let value): "the text '\(value)'"
        default: "a value of another type"
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
             .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "at \(path): ") + context.debugDescription
        case nil:
            return "\(error)"
        @unknown default:
            return "\(error)"
        }
    }
}
