import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Testing

@Suite struct DemoFunnelTests {
    let phone = "+7 999 123-45-67"

    @Test func happyPathQualifiesAndEmitsEveryStep() async throws {
        let rt = Harness.runtime(try Harness.program())
        let first = await rt.inbound(phone: phone, text: "Hi", language: "en")
        #expect(first.texts == ["Hi! Which treatment are you interested in?"])
        #expect(first.events == ["FUNNEL_STARTED"])
        guard case .buttons(_, let buttons, _, _) = first.sends.first?.content else {
            Issue.record("Q1 is not sent as buttons: \(first.sends)")
            return
        }
        #expect(buttons.map(\.title) == ["Implants", "Whitening", "Check-up"])
        let q1 = await rt.inbound(phone: phone, kind: .button, text: "", replyID: "implants", replyTitle: "Implants")
        #expect(q1.events == ["QUALIFY_Q1"])
        #expect(q1.texts == ["When would you like to start?"])
        let q2 = await rt.inbound(phone: phone, kind: .list, text: "", replyID: "this_month", replyTitle: "This month")
        #expect(q2.events == ["QUALIFY_Q2"])
        let q3 = await rt.inbound(phone: phone, text: "about 3k")
        #expect(q3.events == ["QUALIFY_Q3"])
        #expect(q3.emissions.first?.audiencesAdd == ["CA_QUAL_Q3", "CA_BUDGET_1K_5K"])
        let q4 = await rt.inbound(phone: phone, text: "Moscow, Khamovniki")
        #expect(q4.events == ["QUALIFY_Q4", "QUALIFY_COMPLETE"])
        #expect(q4.texts.last?.hasPrefix("Thank you!") == true)
        let sessionID = try #require(q4.sessionID)
        let state = try #require(await rt.store.session(id: sessionID))
        #expect(state.status == .ended)
        #expect(state.outcome == "qualified")
        #expect(state.answers == ["Q1": "implants", "Q2": "this_month", "Q3": "from_1k_to_5k", "Q4": "Moscow, Khamovniki"])
    }
}
