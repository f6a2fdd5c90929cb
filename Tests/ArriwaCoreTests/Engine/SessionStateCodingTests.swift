import ArriwaCore
import Foundation
import Testing

/// `SessionState` keeps each step's answer, raw answer, confidence and retries in one record, but
/// its stored (JSON) form is still the four maps the stores hold: sessions stored before the change
/// must decode to the same values and encode back to the same document.
@Suite struct SessionStateCodingTests {
    /// A session as the SQLite store kept it before the per-step records (written by
    /// `arriwa-bench funnel --database-url sqlite:…` at df60c3b, the `state` column verbatim).
    static let storedJSON =
        #"{"retries":{"Q1":0,"Q2":0,"Q3":0,"Q4":0},"timers":{},"tenant":"demo-clinic","flowVersion":"5ae6d688b592209e",""#
        + #"confidence":{"Q1":1,"Q2":1,"Q3":0.9,"Q4":0.8},"stack":[],"profileName":"Lead 0","lastInboundAt":1796034698385,"#
        + #""lastOutbound":{"message":{"windowOpen":true,"purpose":"flow","sessionID":"direct_c3928a6f-8619-48b5-85e6-f9d0"#
        + #"7efb3cc0_1796034698356","id":"direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-m5","subscriberID":"c3"#
        + #"928a6f-8619-48b5-85e6-f9d07efb3cc0","phoneHash":"1cd9f51b70e90c34d36459dbc57fbaaeffa4434aaef42d3de1f2b4ad9a26d"#
        + #"467","content":{"text":{"_0":"Thank you! A coordinator will message you within one working hour to book your i"#
        + #"mplants consultation."}},"origin":"main\/book"},"failures":0,"sentAt":1796034698390},"nudges":0,"turn":5,"star"#
        + #"tedAt":1796034698362,"status":"ended","escalations":0,"phoneHash":"1cd9f51b70e90c34d36459dbc57fbaaeffa4434aaef"#
        + #"42d3de1f2b4ad9a26d467","emittedKeys":["direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q4-4661bd5b4b"#
        + #"1a3ded","direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q2-fd787ef3d46c9b82","direct_c3928a6f-8619-"#
        + #"48b5-85e6-f9d07efb3cc0_1796034698356-started","direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q1-7f"#
        + #"e1e24999a7968b","direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-complete","direct_c3928a6f-8619-48b"#
        + #"5-85e6-f9d07efb3cc0_1796034698356-q3-81a83544cf93c245"],"outcome":"qualified","entry":"organic","optedOut":fal"#
        + #"se,"attribution":{},"lastInboundText":"Moscow","subscriberID":"c3928a6f-8619-48b5-85e6-f9d07efb3cc0","waitToke"#
        + #"n":4,"humanActive":false,"id":"direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356","answersRaw":{"Q1":""#
        + #"Implants","Q2":"This month","Q3":"2000","Q4":"Moscow"},"language":"en","promptNode":"main\/book","waitingSince"#
        + #"":1796034698385,"answers":{"Q1":"implants","Q2":"this_month","Q3":"from_1k_to_5k","Q4":"Moscow"},"step":"Q4",""#
        + #"messageSeq":5}"#

    /// The same document with sorted keys and without its emitted keys (JSON's sorted form, as
    /// `JSONEncoder` writes it with `.sortedKeys` and `.withoutEscapingSlashes`).
    static let storedSortedWithoutEmittedKeys =
        #"{"answers":{"Q1":"implants","Q2":"this_month","Q3":"from_1k_to_5k","Q4":"Moscow"},"answersRaw":{"Q1":"Implants"#
        + #"","Q2":"This month","Q3":"2000","Q4":"Moscow"},"attribution":{},"confidence":{"Q1":1,"Q2":1,"Q3":0.9,"Q4":0.8}"#
        + #","entry":"organic","escalations":0,"flowVersion":"5ae6d688b592209e","humanActive":false,"id":"direct_c3928a6f-"#
        + #"8619-48b5-85e6-f9d07efb3cc0_1796034698356","language":"en","lastInboundAt":1796034698385,"lastInboundText":"Mo"#
        + #"scow","lastOutbound":{"failures":0,"message":{"content":{"text":{"_0":"Thank you! A coordinator will message y"#
        + #"ou within one working hour to book your implants consultation."}},"id":"direct_c3928a6f-8619-48b5-85e6-f9d07ef"#
        + #"b3cc0_1796034698356-m5","origin":"main/book","phoneHash":"1cd9f51b70e90c34d36459dbc57fbaaeffa4434aaef42d3de1f2"#
        + #"b4ad9a26d467","purpose":"flow","sessionID":"direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356","subscr"#
        + #"iberID":"c3928a6f-8619-48b5-85e6-f9d07efb3cc0","windowOpen":true},"sentAt":1796034698390},"messageSeq":5,"nudg"#
        + #"es":0,"optedOut":false,"outcome":"qualified","phoneHash":"1cd9f51b70e90c34d36459dbc57fbaaeffa4434aaef42d3de1f2"#
        + #"b4ad9a26d467","profileName":"Lead 0","promptNode":"main/book","retries":{"Q1":0,"Q2":0,"Q3":0,"Q4":0},"stack":"#
        + #"[],"startedAt":1796034698362,"status":"ended","step":"Q4","subscriberID":"c3928a6f-8619-48b5-85e6-f9d07efb3cc0"#
        + #"","tenant":"demo-clinic","timers":{},"turn":5,"waitToken":4,"waitingSince":1796034698385}"#

    /// The document's keys and values in one canonical text (JSONSerialization, keys sorted), with the
    /// emitted keys (a set, written in any order) sorted.
    static func tree(_ json: Data) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        var normalized = object
        if let keys = object["emittedKeys"] as? [String] { normalized["emittedKeys"] = keys.sorted() }
        return String(decoding: try JSONSerialization.data(withJSONObject: normalized, options: [.sortedKeys]), as: UTF8.self)
    }

    /// `json` with keys sorted and the emitted keys' array cut out (its order is the set's).
    static func sortedText(_ value: SessionState) throws -> (text: String, emitted: [String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        let start = try #require(text.range(of: #""emittedKeys":["#))
        // Through the `]` and the comma after it (other keys follow).
        let end = try #require(text[start.upperBound...].range(of: "],"))
        return (String(text[..<start.lowerBound]) + String(text[end.upperBound...]), value.emittedKeys.sorted())
    }

    @Test func aStoredSessionDecodesToItsValues() throws {
        let state = try JSONDecoder().decode(SessionState.self, from: Data(Self.storedJSON.utf8))
        #expect(state.answers == ["Q1": "implants", "Q2": "this_month", "Q3": "from_1k_to_5k", "Q4": "Moscow"])
        #expect(state.answersRaw == ["Q1": "Implants", "Q2": "This month", "Q3": "2000", "Q4": "Moscow"])
        #expect(state.confidence == ["Q1": 1, "Q2": 1, "Q3": 0.9, "Q4": 0.8])
        #expect(state.retries == ["Q1": 0, "Q2": 0, "Q3": 0, "Q4": 0])
        #expect(state.step == "Q4" && state.currentRetries == 0)
        #expect(state.status == .ended && state.outcome == "qualified" && state.turn == 5 && state.messageSeq == 5)
        #expect(state.emittedKeys.count == 6 && state.lastOutbound?.message.origin == "main/book")
    }

    @Test func aStoredSessionEncodesBackToTheSameDocument() throws {
        let stored = Data(Self.storedJSON.utf8)
        let state = try JSONDecoder().decode(SessionState.self, from: stored)
        // As the stores encode it (JSONEncoder's default form): the same keys and values.
        #expect(try Self.tree(JSONEncoder().encode(state)) == Self.tree(stored))
        // Byte for byte with sorted keys (the emitted keys, a set, compared as one).
        let reencoded = try Self.sortedText(state)
        #expect(reencoded.text == Self.storedSortedWithoutEmittedKeys)
        #expect(reencoded.emitted == ["direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-complete",
            "direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q1-7fe1e24999a7968b",
            "direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q2-fd787ef3d46c9b82",
            "direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q3-81a83544cf93c245",
            "direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-q4-4661bd5b4b1a3ded",
            "direct_c3928a6f-8619-48b5-85e6-f9d07efb3cc0_1796034698356-started"])
        #expect(reencoded.text.contains(#""answers":{"Q1":"implants","Q2":"this_month","Q3":"from_1k_to_5k","Q4":"Moscow"},"#
            + #""answersRaw":{"Q1":"Implants","Q2":"This month","Q3":"2000","Q4":"Moscow"},"attribution":{},"#
            + #""confidence":{"Q1":1,"Q2":1,"Q3":0.9,"Q4":0.8},"#))
        #expect(reencoded.text.contains(#""retries":{"Q1":0,"Q2":0,"Q3":0,"Q4":0},"stack":[],"#))
        #expect(try JSONDecoder().decode(SessionState.self, from: JSONEncoder().encode(state)) == state)
    }

    static func blank() -> SessionState {
        SessionState(id: "s", contact: Contact(subscriberID: "sub", phoneHash: "h"), tenant: "t", flowVersion: "v",
                     language: "en", entry: "organic", attribution: [:], referralRaw: nil, startedAt: 0)
    }

    @Test func theFourMapsStayIndependent() throws {
        var state = Self.blank()
        state.retries = ["Q2": 2, "Q9": 1]
        state.answers = ["Q1": "implants", "Q7": "x"]
        state.answersRaw = ["Q1": "Implants", "Q8": "У нас клиника 🦷"]
        state.confidence = ["Q1": 0.86, "Q6": 0.5]
        #expect(state.retries == ["Q2": 2, "Q9": 1])
        #expect(state.answers == ["Q1": "implants", "Q7": "x"])
        #expect(state.answersRaw == ["Q1": "Implants", "Q8": "У нас клиника 🦷"])
        #expect(state.confidence == ["Q1": 0.86, "Q6": 0.5])
        state.step = "Q2"
        #expect(state.currentRetries == 2)
        // Replacing one map leaves the others alone.
        state.answers = ["Q7": "y"]
        #expect(state.answers == ["Q7": "y"] && state.answersRaw["Q1"] == "Implants" && state.confidence["Q1"] == 0.86)
        state.answers["Q7", default: ""] += "z"
        #expect(state.answers == ["Q7": "yz"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(state), as: UTF8.self)
        #expect(text.contains(#""answers":{"Q7":"yz"},"answersRaw":{"Q1":"Implants","Q8":"У нас клиника 🦷"},"#))
        #expect(text.contains(#""confidence":{"Q1":0.86,"Q6":0.5},"#) && text.contains(#""retries":{"Q2":2,"Q9":1},"#))
        let decoded = try JSONDecoder().decode(SessionState.self, from: Data(text.utf8))
        #expect(decoded == state && decoded.hashValue == state.hashValue)
    }

    @Test func equalityIsByTheMapsNotByHowTheyWereBuilt() {
        var cleared = Self.blank()
        cleared.retries = ["Q1": 1]
        cleared.answers = ["Q1": "a"]
        cleared.retries = [:]
        cleared.answers = [:]
        let fresh = Self.blank()
        #expect(cleared == fresh && cleared.hashValue == fresh.hashValue)
        var a = Self.blank()
        a.answers = ["Q1": "a"]
        a.confidence = ["Q1": 0.5]
        var b = Self.blank()
        b.confidence = ["Q1": 0.5]
        b.answers = ["Q1": "a"]
        #expect(a == b && a.hashValue == b.hashValue)
        b.confidence = ["Q1": 0.6]
        #expect(a != b)
        var c = a
        c.retries = ["Q1": 0]
        #expect(a != c && a.retries.isEmpty)
    }
}
