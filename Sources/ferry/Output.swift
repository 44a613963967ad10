import Foundation

/// Where every command writes: its result on stdout (text, or JSON with `--json`);
/// progress, notes and warnings on stderr, so that a pipe gets only the result.
enum Output {
    /// One line on stderr.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// `object` (dictionaries, arrays, strings, numbers) as one line of JSON, keys sorted.
    static func jsonLine(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
               as: UTF8.self)
    }

    /// Prints `object` as one line of JSON on stdout.
    static func printJSON(_ object: Any) throws {
        print(try jsonLine(object))
    }
}
