import HTTP
import Foundation
import Testing

/// S3's `Last-Modified` header, parsed by hand (IMF-fixdate, RFC 9110).
struct HTTPDateTests {
    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777.0),  // RFC 9110's own example
        ("Sat, 28 Nov 2026 00:00:00 GMT", 1_795_824_000.0),
        ("Thu, 29 Feb 2024 23:59:59 GMT", 1_709_251_199.0),
    ])
    func parsesIMFFixdate(text: String, seconds: Double) {
        #expect(HTTPDate.parse(text) == Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: ["", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT",
                      "Sunday, 06-Nov-94 08:49:37 GMT"])
    func refusesOtherForms(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}
