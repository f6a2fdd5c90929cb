import ArriwaCore
import ArriwaRuntime
import ArriwaStore
import Foundation
import Testing

/// SPEC sections 1–4, rule by rule, on the pure engine (through the in-memory runtime where a
/// clock or store is needed).
@Suite struct EngineRulesTests {
    let phone = "+15550009999"

    // MARK: §1 Entry and first contact

    @Test func sessionIDsFollowTheEntryPoint() throws {
        let program = try Harness.program()
        let engine = Engine(program: program)
        func start(_ text: String, referral: [String: String]? = nil) -> SessionState? {
            let contact = Contact(subscriberID: "u1", phoneHash: "h")
            let message = InboundMessage(id: "m", text: text, receivedAt: 1_000, contact: contact, referral: referral)
            guard case .completed(let state, _) = engine.handle(nil, .inbound(message), now: 1_000) else { return nil }
            return state
        }
        #expect(start("Hi", referral: ["ctwa_clid": "C1", "source_type": "ad", "source_id": "42"])?.id == "ctwa_fb_u1_1000")
        #expect(start("QR_START_PROMO&product_id=SKU001&location_id=MSK&promo_code=SPRING")?.id == "qr_SKU001_u1_1000")
        #expect(start("Hello utm_source=instagram&utm_campaign=may")?.id == "link_instagram_u1_1000")
        #expect(start("Hello")?.id == "direct_u1_1000")
        let qr = start("QR_START_PROMO&product_id=SKU001&location_id=MSK&promo_code=SPRING")
        #expect(qr?.attribution == ["product_id": "SKU001", "location_id": "MSK", "promo_code": "SPRING", "qr_code": "QR_START_PROMO"])
        #expect(qr?.entry == "qr")
        let ctwa = start("Hi", referral: ["ctwa_clid": "C1", "source_type": "ad", "source_id": "42",
                                          "source_url": "https://fb.me/x?utm_source=fb&utm_medium=paid"])
        #expect(ctwa?.attribution["ad_id"] == "42")
        #expect(ctwa?.attribution["utm_source"] == "fb")
        #expect(ctwa?.attribution["utm_medium"] == "paid")
    }

    @Test func attributionIsImmutableOnceSet() async throws {
        let rt = Harness.runtime(try Harness.program())
        let raw = #"{"source_url":"https://fb.me/a","source_id":"1","source_type":"ad","ctwa_clid":"FIRST"}"#
        _ = await rt.inbound(phone: phone, text: "Hi", referral: ["ctwa_clid": "FIRST", "source_id": "1", "source_type": "ad"],
                             referralRaw: raw)
        let second = await rt.inbound(phone: phone, kind: .button, text: "", replyID: "implants",
                                      referral: ["ctwa_clid": "SECOND", "source_id": "2", "source_type": "ad"])
        let sessionID = try #require(second.sessionID)
        let state = try await rt.state(id: sessionID)
        #expect(state.attribution["ctwa_clid"] == "FIRST")
        #expect(state.referralRaw == raw)
        #expect(second.emissions.allSatisfy { $0.attribution["ctwa_clid"] == "FIRST" })
    }

    @Test func returningLeadIsFoundByPhoneHash() async throws {
        let rt = Harness.runtime(try Harness.program())
        let first = await rt.inbound(phone: "+7 (999) 123-45-67", text: "Hi")
        let again = await rt.inbound(phone: "79991234567", text: "implants")
        #expect(first.sessionID == again.sessionID)
        let state = try await rt.state(of: first)
        #expect(state.phoneHash == Phone.hash("+79991234567"))
        #expect(!state.phoneHash.contains("9991234567"))
    }

    // MARK: §2 Code words

    @Test func codeWordsAreNotCheckedOnTheFirstMessage() async throws {
        let rt = Harness.runtime(try Harness.program())
        let first = await rt.inbound(phone: phone, text: "stop")
        #expect(first.texts == ["Hi! Which treatment are you interested in?"])
        let second = await rt.inbound(phone: phone, text: "Stop!")
        #expect(second.texts == ["You're unsubscribed. Write START any time to continue."])
        #expect(second.audits.contains { $0.type == "keyword_interrupt" && $0.detail.hasPrefix("stop") })
    }

    @Test func resumingRepeatsThePromptWithoutCountingAReprompt() async throws {
        let rt = Harness.runtime(try Harness.program())
        _ = await rt.inbound(phone: phone, text: "Hi")
        _ = await rt.inbound(phone: phone, text: "asdf")
        _ = await rt.inbound(phone: phone, text: "qwerty")
        for _ in 0..<3 {
            let resumed = await rt.inbound(phone: phone, text: "start")
            #expect(resumed.texts == ["Welcome back! Let's continue.", "Sorry, I didn't get that. Which treatment do you need?"])
            #expect(resumed.failures.isEmpty)
        }
        let state = try await rt.state(of: await rt.inbound(phone: phone, kind: .button, text: "", replyID: "implants"))
        #expect(state.answers["Q1"] == "implants")
        #expect(state.status == .waiting)
    }

    @Test func pauseDurationIsParsedAndCapped() throws {
        let settings = try Harness.program().tenant
        #expect(CodeWords.match("pause 2h", in: settings)?.durationMS == 2 * Harness.hour)
        #expect(CodeWords.match("Пауза 30 минут", in: settings)?.durationMS == 30 * Harness.minute)
        #expect(CodeWords.match("snooze for 3 hours", in: settings)?.durationMS == 3 * Harness.hour)
        #expect(CodeWords.match("pause", in: settings)?.kind == .pause)
        #expect(CodeWords.match("pause the ads please", in: settings) == nil)
        #expect(CodeWords.match("I want to stop smoking", in: settings) == nil)
    }

    @Test func pauseLongerThanTheMaximumIsCappedAt24Hours() async throws {
        let rt = Harness.runtime(try Harness.program())
        _ = await rt.inbound(phone: phone, text: "Hi")
        let paused = await rt.inbound(phone: phone, text: "pause 3 days")
        let state = try await rt.state(of: paused)
        #expect(state.snoozedUntil == Harness.t0 + 24 * Harness.hour)
    }

    // MARK: §3 Qualification loop

    @Test func defaultEventIDIsSessionStepAndAnswerHash() async throws {
        let flow = try String(contentsOf: Harness.root.appendingPathComponent("examples/minimal/main.flow.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "    key: ${session.id}-q1-${hash(message.text)}\n", with: "")
        let rt = Harness.runtime(try Harness.minimal(flow: flow, allowErrors: true))
        _ = await rt.inbound(phone: phone, text: "Hi")
        let answer = await rt.inbound(phone: phone, text: "Yes")
        let sessionID = try #require(answer.sessionID)
        #expect(answer.emissions.map(\.key) == ["\(sessionID)-q1-\(Self.sha16("Yes"))"])
        #expect(answer.emissions.first?.audiencesAdd == ["CA_NEW"])
        #expect(answer.emissions.first?.crmFields == ["cf_interest": "Yes"])
    }

    static func sha16(_ text: String) -> String {
        let value = try? Evaluator.evaluate(try ExprParser.parse("hash('\(text)')"),
                                            in: EvaluationContext(resolver: StaticValueResolver(), now: 0))
        return value?.renderedText ?? ""
    }

    @Test func tenantThresholdsDecideTheOutcome() async throws {
        // A typed title is 0.95; with valid at 0.97 it is only ambiguous.
        let strict = try Harness.minimal(flow: Self.minimalFlow, tenantExtra: "", allowErrors: true)
        #expect(strict.tenant.validThreshold == 0.65)
        let text = try String(contentsOf: Harness.root.appendingPathComponent("examples/minimal/tenant.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "thresholds: { valid: 0.65, noise: 0.30 }", with: "thresholds: { valid: 0.97, noise: 0.30 }")
        let manifest = try String(contentsOf: Harness.root.appendingPathComponent("examples/minimal/manifest.yaml"), encoding: .utf8)
        let program = try Harness.program(files: ["tenant.yaml": text, "manifest.yaml": manifest, "main.flow.yaml": Self.minimalFlow])
        let rt = Harness.runtime(program)
        _ = await rt.inbound(phone: phone, text: "Hi")
        let typed = await rt.inbound(phone: phone, text: "yes")
        #expect(typed.events.isEmpty)
        let tapped = await rt.inbound(phone: phone, kind: .button, text: "", replyID: "yes", replyTitle: "Yes")
        #expect(tapped.events == ["QUALIFY_Q1"])
    }

    static let minimalFlow = (try? String(contentsOf: Harness.root.appendingPathComponent("examples/minimal/main.flow.yaml"), encoding: .utf8)) ?? ""

    @Test func modelIsAskedOnlyWhenRulesAreNotConfident() async throws {
        let program = try Harness.program()
        let engine = Engine(program: program)
        let contact = Contact(subscriberID: "u1", phoneHash: "h")
        guard case .completed(let started?, _) = engine.handle(nil, .inbound(InboundMessage(id: "1", text: "Hi", receivedAt: 0, contact: contact)), now: 0) else {
            Issue.record("no session")
            return
        }
        // A tap is certain: no model.
        let tap = InboundMessage(id: "2", kind: .button, text: "", replyID: "implants", receivedAt: 1, contact: contact)
        guard case .completed = engine.handle(started, .inbound(tap), now: 1) else {
            Issue.record("a tap should not need a model")
            return
        }
        // Free text that the rules cannot place: the engine asks, with the step's context.
        let vague = InboundMessage(id: "3", text: "the thing for my smile", receivedAt: 1, contact: contact)
        guard case .needsClassification(let request) = engine.handle(started, .inbound(vague), now: 1) else {
            Issue.record("vague text should need a model")
            return
        }
        #expect(request.stepID == "Q1")
        #expect(request.options.map(\.id) == ["implants", "whitening", "checkup"])
        #expect(request.question == "Hi! Which treatment are you interested in?")
        #expect(request.rules?.validity == .noise)
        // The model's answer resumes the same turn.
        let llm = Classification(validity: .valid, confidence: 0.82, answer: "whitening", qualityScore: 0.6, source: "llm:test")
        guard case .completed(let after?, let effects) = engine.handle(started, .inbound(vague), now: 1, classification: llm) else {
            Issue.record("the turn did not complete")
            return
        }
        #expect(after.answers["Q1"] == "whitening")
        #expect(effects.contains { if case .emit(let e) = $0 { e.event == "QUALIFY_Q1" } else { false } })
    }

    @Test func repromptLimitStopsALoopThatWouldAskAFourthTime() async throws {
        // A flow that re-prompts forever on noise (the validator would not let it deploy).
        let flow = """
        flow: main
        version: 1.0.0
        start: begin
        nodes:
          - { id: begin, type: start, next: ask }
          - { id: ask, type: wa.send, step: Q1, next: wait }
          - id: wait
            type: wait
            on: { message: classify }
          - id: classify
            type: llm.classify
            step: Q1
            mode: rules
            on: { valid: bye, ambiguous: again, noise: again }
          - { id: again, type: wa.send, step: Q1, say: reprompt, next: wait }
          - { id: bye, type: end }
        """
        let rt = Harness.runtime(try Harness.minimal(flow: flow, allowErrors: true))
        _ = await rt.inbound(phone: phone, text: "Hi")
        for _ in 0..<3 {
            let noise = await rt.inbound(phone: phone, text: "zzz")
            #expect(noise.sends.count == 1)
        }
        let fourth = await rt.inbound(phone: phone, text: "zzz")
        #expect(fourth.failures.map(\.code) == [.repromptLimit])
        #expect(fourth.effects.contains { if case .handover = $0 { true } else { false } })
        let state = try await rt.state(of: fourth)
        #expect(state.status == .halted)
        #expect(state.retries["Q1"] == 3)
    }

    @Test func stepBudgetStopsARunawayLoopWithAClearError() async throws {
        let flow = """
        flow: main
        version: 1.0.0
        start: begin
        vars:
          n: { type: int, default: 0 }
        nodes:
          - { id: begin, type: start, next: spin }
          - id: spin
            type: set
            vars: { n: vars.n + 1 }
            next: again
          - id: again
            type: condition
            branches:
              - { when: "vars.n < 1000000", next: spin }
            else: bye
          - { id: bye, type: end }
        """
        let program = try Harness.minimal(flow: flow, allowErrors: true)
        let rt = Harness.runtime(program)
        let turn = await rt.inbound(phone: phone, text: "Hi")
        #expect(turn.failures.map(\.code) == [.stepBudgetExceeded])
        #expect(turn.failures.first?.message.contains("200 nodes") == true)
        #expect(turn.texts == ["Sorry, something went wrong on our side. An operator will reply shortly."])
        let state = try await rt.state(of: turn)
        #expect(state.status == .halted)
        #expect(state.humanActive)
        // Nothing of the failed turn's work is kept: the loop variable never counted up.
        #expect(state.stack.first?.vars["n"] == nil || state.stack.first?.vars["n"] == .int(0))
    }

    @Test func breakerOpensAfterFiveEscalationsInARow() async throws {
        let flow = """
        flow: main
        version: 1.0.0
        start: begin
        nodes:
          - { id: begin, type: start, next: ask }
          - { id: ask, type: wa.send, step: Q1, next: wait }
          - id: wait
            type: wait
            on: { message: classify }
          - id: classify
            type: llm.classify
            step: Q1
            mode: rules
            on: { valid: bye, ambiguous: human, noise: human }
          - id: human
            type: handover
            reason: Could not classify
            next: ask
          - { id: bye, type: end }
        """
        let rt = Harness.runtime(try Harness.minimal(flow: flow, allowErrors: true))
        let first = await rt.inbound(phone: phone, text: "Hi")
        let sessionID = try #require(first.sessionID)
        for round in 1...5 {
            let noise = await rt.inbound(phone: phone, text: "zzz")
            #expect(noise.effects.contains { if case .handover = $0 { true } else { false } })
            let state = try await rt.state(id: sessionID)
            #expect(state.escalations == round)
            if round < 5 {
                #expect(state.status == .waiting)
                _ = await rt.operatorClose(sessionID: sessionID)
            } else {
                #expect(state.status == .halted)
                #expect(noise.failures.map(\.code) == [.breakerOpen])
            }
        }
        let silent = await rt.inbound(phone: phone, text: "hello?")
        #expect(silent.sends.isEmpty)
        // The operator's close resets the breaker and the bot asks again.
        let closed = await rt.operatorClose(sessionID: sessionID)
        #expect(closed.texts == ["Are you new here?"])
        #expect(try await rt.state(id: sessionID).escalations == 0)
    }

    // MARK: §4 Nudges, delivery, the 24-hour window

    @Test func outsideTheWindowASendUsesItsTemplateAndANudgeItsTemplate() async throws {
        let flow = """
        flow: main
        version: 1.0.0
        start: begin
        nodes:
          - { id: begin, type: start, next: later }
          - id: later
            type: wait
            for: time
            timeout: 25h
            on: { timeout: ask }
          - id: ask
            type: wa.send
            step: Q1
            template: { name: come_back, language: en, params: ["${session.entry}"] }
            next: wait
          - id: wait
            type: wait
            timeout: 1h
            nudges:
              - after: 15m
                when: delivered
                text: Still there?
                template: { name: nudge_template, language: en }
            on: { message: bye, timeout: bye }
          - { id: bye, type: end }
        """
        let rt = Harness.runtime(try Harness.minimal(flow: flow, allowErrors: true))
        _ = await rt.inbound(phone: phone, text: "Hi")
        let fired = await rt.advance(by: 25 * Harness.hour)
        let send = try #require(fired.first?.sends.first)
        #expect(send.content == .template(.init(name: "come_back", language: "en", params: ["organic"])))
        #expect(send.windowOpen == false)
        _ = await rt.status(messageID: send.id, .delivered)
        let nudges = await rt.advance(by: 15 * Harness.minute)
        #expect(nudges.flatMap(\.sends).map(\.content) == [.template(.init(name: "nudge_template", language: "en", params: []))])
    }

    @Test func failedDeliveryIsResentThenEscalatedAfterTheThirdFailure() async throws {
        let rt = Harness.runtime(try Harness.program())
        let first = await rt.inbound(phone: phone, text: "Hi")
        var id = try #require(first.sends.first?.id)
        for attempt in 1...2 {
            let retry = await rt.status(messageID: id, .failed, errorCode: 131000, errorTitle: "Something went wrong")
            let resend = try #require(retry.sends.first, "attempt \(attempt) was not resent")
            #expect(resend.purpose == .retry)
            #expect(resend.replaces == id)
            #expect(resend.content == first.sends.first?.content)
            id = resend.id
        }
        let third = await rt.status(messageID: id, .failed, errorCode: 131000)
        #expect(third.sends.isEmpty)
        #expect(third.failures.map(\.code) == [.deliveryFailed])
        #expect(third.effects.contains { if case .handover = $0 { true } else { false } })
    }

    @Test func staleTimerIsIgnored() throws {
        let program = try Harness.program()
        let engine = Engine(program: program)
        let contact = Contact(subscriberID: "u1", phoneHash: "h")
        guard case .completed(let state?, let effects) = engine.handle(nil, .inbound(InboundMessage(id: "1", text: "Hi", receivedAt: 0, contact: contact)), now: 0),
              let timeout = effects.compactMap({ if case .schedule(let t) = $0 { t } else { nil } }).first else {
            Issue.record("no timeout scheduled")
            return
        }
        // The lead answers: the wait's timers are cancelled and a new wait begins.
        let tap = InboundMessage(id: "2", kind: .button, text: "", replyID: "implants", receivedAt: 10, contact: contact)
        guard case .completed(let answered?, let answerEffects) = engine.handle(state, .inbound(tap), now: 10) else { return }
        #expect(answerEffects.contains(.cancel(timerID: timeout.id)))
        guard case .completed(let after, let staleEffects) = engine.handle(answered, .timer(TimerFired(timeout)), now: timeout.dueAt) else { return }
        #expect(staleEffects.isEmpty)
        #expect(after == answered)
    }

    // MARK: Flow versions, calls, events

    @Test func sessionsStayOnTheVersionTheyStartedOn() async throws {
        let v1 = try Harness.program()
        let flowV2 = try String(contentsOf: Harness.root.appendingPathComponent("flows/demo-clinic/main.flow.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "Thank you! A coordinator", with: "Thanks (v2)! A coordinator")
        var files: [String: String] = [:]
        for name in ["tenant.yaml", "manifest.yaml", "qualification.flow.yaml"] {
            files[name] = try String(contentsOf: Harness.root.appendingPathComponent("flows/demo-clinic/\(name)"), encoding: .utf8)
        }
        files["main.flow.yaml"] = flowV2
        let v2 = try Harness.program(files: files)
        #expect(v1.version != v2.version)
        let rt = Harness.runtime(v1)
        _ = await rt.inbound(phone: "+15550000001", text: "Hi")
        await rt.deploy(v2)
        _ = await rt.inbound(phone: "+15550000002", text: "Hi")
        for lead in ["+15550000001", "+15550000002"] {
            _ = await rt.inbound(phone: lead, kind: .button, text: "", replyID: "implants")
            _ = await rt.inbound(phone: lead, kind: .list, text: "", replyID: "this_week")
            _ = await rt.inbound(phone: lead, text: "2000")
        }
        let old = await rt.inbound(phone: "+15550000001", text: "Moscow")
        let new = await rt.inbound(phone: "+15550000002", text: "Moscow")
        #expect(old.texts.last?.hasPrefix("Thank you!") == true)
        #expect(new.texts.last?.hasPrefix("Thanks (v2)!") == true)
        #expect(try await rt.state(of: old).flowVersion == v1.version)
    }

    @Test func externalEventResumesAWaitForEvent() async throws {
        let flow = """
        flow: main
        version: 1.0.0
        start: begin
        nodes:
          - { id: begin, type: start, next: pay }
          - id: pay
            type: wait
            for: event
            event: payment.completed
            timeout: 7d
            on: { event: paid, timeout: bye }
          - id: paid
            type: emit
            event: Purchase
            key: ${session.id}-purchase
            value: 120
            currency: USD
            next: thanks
          - { id: thanks, type: wa.send, text: "Paid, thank you!", next: bye }
          - { id: bye, type: end, outcome: paid }
        """
        let rt = Harness.runtime(try Harness.minimal(flow: flow, allowErrors: true))
        let first = await rt.inbound(phone: phone, text: "Hi")
        let sessionID = try #require(first.sessionID)
        let wrong = await rt.external(sessionID: sessionID, name: "refund")
        #expect(wrong.emissions.isEmpty)
        let paid = await rt.external(sessionID: sessionID, name: "payment.completed")
        #expect(paid.emissions.map(\.event) == ["Purchase"])
        #expect(paid.emissions.first?.value == 120)
        #expect(paid.texts == ["Paid, thank you!"])
        let again = await rt.external(sessionID: sessionID, name: "payment.completed")
        #expect(again.emissions.isEmpty)
    }

    // MARK: Persistence

    @Test func sessionStateRoundTripsThroughJSON() async throws {
        let rt = Harness.runtime(try Harness.program())
        _ = await rt.inbound(phone: phone, text: "Hi", referral: ["ctwa_clid": "C", "source_type": "ad"])
        let turn = await rt.inbound(phone: phone, kind: .button, text: "", replyID: "checkup")
        let state = try await rt.state(of: turn)
        let data = try JSONEncoder().encode(state)
        let decoded = try JSONDecoder().decode(SessionState.self, from: data)
        #expect(decoded == state)
        let values: [Value] = [.string("a"), .int(3), .number(0.5), .bool(true), .duration(60_000), .timestamp(1), .null,
                               .list([.int(1)]), .map(["k": .string("v")])]
        #expect(try JSONDecoder().decode([Value].self, from: JSONEncoder().encode(values)) == values)
    }
}
