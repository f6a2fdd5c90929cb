import Testing
@testable import ArriwaCore

@Suite("Durations and value rendering")
struct DurationAndValueTests {
    @Test("parse", arguments: [
        ("90s", Int64(90_000)), ("15m", 900_000), ("1h", 3_600_000), ("24h", 86_400_000),
        ("1h30m", 5_400_000), ("2d", 172_800_000), ("500ms", 500), ("1m30s250ms", 90_250),
        ("0s", 0), ("-5m", -300_000), ("1d2h3m4s5ms", 93_784_005),
    ])
    func parse(_ text: String, _ ms: Int64) {
        #expect(ExprDuration.parse(text) == ms)
    }

    @Test("invalid", arguments: ["", "-", "15", "m", "15 m", "1.5h", "1w", "15M", "1h 30m", "+5m", "5mm", "9999999999999999999d", "106751991168d"])
    func invalid(_ text: String) {
        #expect(ExprDuration.parse(text) == nil)
    }

    @Test("format", arguments: [
        (Int64(5_400_000), "1h 30m"), (0, "0s"), (500, "500ms"), (172_800_000, "2d"),
        (93_784_005, "1d 2h 3m 4s 5ms"), (-900_000, "-15m"), (Int64.min, "-106751991167d 7h 12m 55s 808ms"),
    ])
    func format(_ ms: Int64, _ text: String) {
        #expect(ExprDuration.format(ms) == text)
    }

    @Test("format then parse round-trips")
    func roundTrip() {
        var rng = ExprSplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let ms = Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng)
            let compact = ExprDuration.format(ms).replacingOccurrences(of: " ", with: "")
            #expect(ExprDuration.parse(compact) == ms)
        }
    }

    @Test("rendered text")
    func rendered() {
        #expect(Value.number(1e20).renderedText == "1e+20")
        #expect(Value.number(-0.0).renderedText == "0")
        #expect(Value.number(2.5).renderedText == "2.5")
        #expect(Value.int(-3).renderedText == "-3")
        #expect(Value.timestamp(0).renderedText == "1970-01-01T00:00:00Z")
        #expect(Value.timestamp(-1).renderedText == "1969-12-31T23:59:59.999Z")
        #expect(Value.timestamp(951_782_400_000).renderedText == "2000-02-29T00:00:00Z")
        #expect(Value.timestamp(-62_135_596_800_000).renderedText == "0001-01-01T00:00:00Z")
        #expect(Value.string("a\"b\n").renderedText == "a\"b\n")
        #expect(Value.list([.string("a\"b\n"), .duration(60_000), .bool(false)]).renderedText == "[\"a\\\"b\\n\",\"1m\",false]")
        #expect(Value.map([:]).renderedText == "{}")
    }
}
