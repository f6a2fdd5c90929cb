import ArriwaCore
import Foundation
import Testing

/// The engine's hot-path storage (the session state's copy-on-write box, ids built in one buffer)
/// behaves exactly as plain values and interpolated strings did.
@Suite struct EngineValueSemanticsTests {
    func first(_ program: Program) -> (state: SessionState, effects: [Effect]) {
        let contact = Contact(subscriberID: "sub-1", phoneHash: "phone-1", language: "en")
        let event = EngineEvent.inbound(InboundMessage(id: "wamid.1", text: "Hi", receivedAt: Harness.t0, contact: contact))
        guard case .completed(let state?, let effects) = Engine(program: program).handle(nil, event, now: Harness.t0) else {
            Issue.record("the first message did not complete with a state")
            return (SessionState(id: "", contact: contact, tenant: "", flowVersion: "", language: "en", entry: "organic",
                                 attribution: [:], referralRaw: nil, startedAt: 0), [])
        }
        return (state, effects)
    }

    @Test func idsKeepTheirFormats() throws {
        #expect(TimerSpec.id(sessionID: "direct_sub-1_1772442000000", kind: .timeout, token: 12)
            == "direct_sub-1_1772442000000/12/timeout")
        #expect(TimerSpec.id(sessionID: "s", kind: .nudge, token: 3, index: 1) == "s/3/nudge/1")
        #expect(TimerSpec.id(sessionID: "s", kind: .handoverReturn, token: 3) == "s/handover")

        let (state, effects) = first(try Harness.program())
        let sends = effects.compactMap { effect -> OutboundMessage? in if case .send(let m) = effect { m } else { nil } }
        #expect(sends.map(\.id) == ["\(state.id)-m1"])
        let timers = effects.compactMap { effect -> TimerSpec? in if case .schedule(let t) = effect { t } else { nil } }
        #expect(!timers.isEmpty)
        for timer in timers {
            #expect(timer.id == "\(state.id)/\(timer.token)/\(timer.kind == .timeout ? "timeout" : "nudge/\(timer.index)")")
        }
    }

    @Test func aTurnNeverChangesTheCallersState() throws {
        let program = try Harness.program()
        let (before, _) = first(program)
        let copy = before
        let contact = Contact(subscriberID: "sub-1", phoneHash: "phone-1", language: "en")
        let tap = EngineEvent.inbound(InboundMessage(id: "wamid.2", kind: .button, text: "", replyID: "implants",
                                                     replyTitle: "Implants", receivedAt: Harness.t0 + 20_000, contact: contact))
        guard case .completed(let after?, _) = Engine(program: program).handle(before, tap, now: Harness.t0 + 20_000) else {
            Issue.record("the answer did not complete with a state")
            return
        }
        #expect(before == copy)
        #expect(before.answers.isEmpty)
        #expect(after.answers["Q1"] == "implants")
        #expect(after != before)
        // Writing to a copy leaves the original alone, and equal contents compare equal.
        var edited = after
        edited.answers["Q1"] = "whitening"
        #expect(after.answers["Q1"] == "implants")
        edited.answers["Q1"] = "implants"
        #expect(edited == after)
        #expect(edited.hashValue == after.hashValue)
        // The Codable form round-trips.
        let decoded = try JSONDecoder().decode(SessionState.self, from: JSONEncoder().encode(after))
        #expect(decoded == after)
    }
}
