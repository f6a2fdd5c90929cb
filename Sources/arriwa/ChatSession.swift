import ArriwaCore
import ArriwaRuntime
import Foundation

/// The state of one `arriwa chat` run and how each line is handled and shown.
struct ChatSession {
    let program: Program
    let phone: String
    let language: String
    let name: String
    let referral: [String: String]?
    let classify: @Sendable (ClassifyRequest) async -> Classification
    var runtime: LocalRuntime
    var lastMessage: OutboundMessage?
    /// The last bot message with buttons or rows: numbers tap it until a new question without choices.
    var lastChoices: OutboundMessage?
    var emitted: [Emission] = []
    var turns = 0

    init(program: Program, phone: String, language: String, name: String, referral: [String: String]?,
         classify: @escaping @Sendable (ClassifyRequest) async -> Classification) {
        self.program = program
        self.phone = phone
        self.language = language
        self.name = name
        self.referral = referral
        self.classify = classify
        runtime = ChatSession.makeRuntime(program, classify: classify)
    }

    static func makeRuntime(_ program: Program, classify: @escaping @Sendable (ClassifyRequest) async -> Classification) -> LocalRuntime {
        let counter = ChatCounter()
        return LocalRuntime(program: program, startAt: ConversationRunner.epoch,
                            configuration: .init(classify: classify, newSubscriberID: { "chat-\(counter.next())" }))
    }

    func start() {
        print("clock \(Value.iso8601(ConversationRunner.epoch)). Write as the lead to begin.")
    }

    /// Handles one line; false to quit.
    mutating func handle(_ line: String) async -> Bool {
        guard !line.isEmpty else { return true }
        if line.hasPrefix("/") { return await command(line) }
        if let n = Int(line), let choices = lastChoices?.content.choices, !choices.isEmpty {
            guard n >= 1, n <= choices.count else {
                print("  (there are \(choices.count) choices; type 1–\(choices.count), or text)")
                return true
            }
            await tap(choices[n - 1])
            return true
        }
        await show(await runtime.inbound(phone: phone, text: line, profileName: name, language: language, referral: referral))
        return true
    }

    mutating func tap(_ choice: MessageContent.Button) async {
        let kind: InboundMessage.Kind = if case .list? = lastChoices?.content { .list } else { .button }
        print("  (tapped \"\(choice.title)\")")
        await show(await runtime.inbound(phone: phone, kind: kind, text: "", replyID: choice.id, replyTitle: choice.title,
                                         profileName: name, language: language, referral: referral))
    }

    mutating func command(_ line: String) async -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case "/quit", "/exit", "/q":
            return false
        case "/help":
            print(ChatCommand.configuration.discussion)
        case "/tap":
            guard let choice = lastChoices?.content.choices.first(where: {
                $0.title.lowercased() == argument.lowercased() || $0.id == argument }) else {
                print("  (no choice '\(argument)' in the last bot message)")
                return true
            }
            await tap(choice)
        case "/status":
            let words = argument.split(separator: " ")
            guard let first = words.first, let state = DeliveryStatus.State(rawValue: String(first)) else {
                print("  usage: /status sent|delivered|read|failed [error code]")
                return true
            }
            guard let message = lastMessage else {
                print("  (the bot has sent nothing yet)")
                return true
            }
            let code = words.count > 1 ? Int(words[1]) : nil
            await show(await runtime.status(messageID: message.id, state, errorCode: code))
        case "/advance":
            guard let ms = DurationSyntax.milliseconds(argument) else {
                print("  usage: /advance 15m (s, m, h, d)")
                return true
            }
            let records = await runtime.advance(by: ms)
            print("  clock → \(Value.iso8601(await runtime.now))\(records.isEmpty ? "; no timer was due" : "")")
            for record in records { await show(record) }
        case "/event":
            guard let state = await currentState() else { print("  (no session yet)"); return true }
            await show(await runtime.external(sessionID: state.id, name: argument.isEmpty ? "payment.completed" : argument))
        case "/close":
            guard let state = await currentState() else { print("  (no session yet)"); return true }
            await show(await runtime.operatorClose(sessionID: state.id, operatorID: "chat-operator"))
        case "/state":
            await printState()
        case "/events":
            if emitted.isEmpty { print("  (no events yet)") }
            for (i, e) in emitted.enumerated() { print("  \(i + 1). \(Self.describe(e))") }
        case "/reset":
            runtime = Self.makeRuntime(program, classify: classify)
            lastMessage = nil
            lastChoices = nil
            emitted = []
            print("  (reset: a new lead, a new clock)")
        default:
            print("  unknown command \(parts[0]); /help lists them")
        }
        return true
    }

    func currentState() async -> SessionState? {
        guard let hash = Phone.hash(phone), let sub = await runtime.store.subscriberID(phoneHash: hash) else { return nil }
        return await runtime.store.latestSession(subscriberID: sub)
    }

    mutating func show(_ record: LocalRuntime.TurnRecord) async {
        turns += 1
        for effect in record.effects {
            switch effect {
            case .send(let m):
                lastMessage = m
                if !m.content.choices.isEmpty {
                    lastChoices = m
                } else if m.purpose == .flow {
                    lastChoices = nil
                }
                print(Self.render(m))
            case .emit(let e):
                emitted.append(e)
                print("  ⚑ \(Self.describe(e))")
            case .schedule(let t):
                let delta = t.dueAt - (await runtime.now)
                print("  ⏲ \(t.kind.rawValue)\(t.kind == .nudge ? " \(t.index + 1)" : "") in \(ExprDuration.format(max(0, delta)))")
            case .cancel:
                break
            case .handover(let h):
                print("  ☎ handover to a human: \(h.reason)\n    \(h.summary)")
            case .audit(let a):
                if a.type != "session_started" && a.type != "session_ended" { print("  · \(a.type): \(a.detail)") }
                else { print("  · \(a.detail)") }
            case .error(let f):
                print("  ✗ \(f.code.rawValue): \(f.message)")
            }
        }
        if record.effects.isEmpty { print("  (nothing happened)") }
    }

    static func render(_ m: OutboundMessage) -> String {
        let tag = m.purpose == .flow ? "bot" : "bot (\(m.purpose.rawValue))"
        switch m.content {
        case .text(let text):
            return "\(tag)> \(text)"
        case .buttons(let body, let buttons, _, _):
            let row = buttons.enumerated().map { "[\($0.offset + 1)] \($0.element.title)" }.joined(separator: "  ")
            return "\(tag)> \(body)\n     \(row)"
        case .list(let body, let button, let sections, _, _):
            var lines = ["\(tag)> \(body)", "     ☰ \(button)"]
            var n = 0
            for section in sections {
                if let title = section.title { lines.append("     \(title)") }
                for row in section.rows {
                    n += 1
                    lines.append("     [\(n)] \(row.title)\(row.description.map { " — \($0)" } ?? "")")
                }
            }
            return lines.joined(separator: "\n")
        case .template(let t):
            return "\(tag)> [template \(t.name)/\(t.language)\(t.params.isEmpty ? "" : " " + t.params.joined(separator: ", "))] (outside the 24-hour window)"
        }
    }

    static func describe(_ e: Emission) -> String {
        var text = "\(e.event) [\(e.stream.rawValue)] → \(e.sinks.joined(separator: ", "))"
        if let answer = e.answer { text += " answer=\(answer)" }
        if !e.audiencesAdd.isEmpty { text += " +\(e.audiencesAdd.joined(separator: " +"))" }
        if !e.audiencesRemove.isEmpty { text += " -\(e.audiencesRemove.joined(separator: " -"))" }
        return text + "  (key \(e.key))"
    }

    func printState() async {
        guard let s = await currentState() else {
            print("  (no session yet)")
            return
        }
        print("  session \(s.id)  [\(s.status.rawValue)\(s.outcome.map { ": \($0)" } ?? "")]  entry \(s.entry)  language \(s.language)")
        if !s.attribution.isEmpty {
            print("  attribution: " + s.attribution.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        print("  at: " + s.stack.map { "\($0.flow)/\($0.node)" }.joined(separator: " → "))
        print("  step \(s.step ?? "-"), retries \(s.currentRetries), nudges \(s.nudges), escalations \(s.escalations)")
        print("  answers: " + (s.answers.isEmpty ? "none" : s.answers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))
        if let vars = s.stack.last?.vars, !vars.isEmpty {
            print("  vars: " + vars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.renderedText)" }.joined(separator: ", "))
        }
        var flags: [String] = []
        if s.optedOut { flags.append("opted out") }
        if let until = s.snoozedUntil, until > (await runtime.now) { flags.append("snoozed until \(Value.iso8601(until))") }
        if s.humanActive { flags.append("human active") }
        if let reason = s.haltReason { flags.append("halted: \(reason)") }
        if !flags.isEmpty { print("  flags: " + flags.joined(separator: ", ")) }
        let now = await runtime.now
        let window = s.windowOpen(at: now) ? "open" : "closed"
        print("  clock \(Value.iso8601(now)); 24-hour window \(window)")
        for t in s.timers.values.sorted(by: { $0.dueAt < $1.dueAt }) {
            print("  timer \(t.kind.rawValue)\(t.kind == .nudge ? " \(t.index + 1)" : "") due in \(ExprDuration.format(max(0, t.dueAt - now)))")
        }
    }

    func summary() -> String {
        "\(turns) turn(s), \(emitted.count) event(s) emitted."
    }
}

final class ChatCounter: @unchecked Sendable {
    // Called only from the runtime actor, one call at a time.
    private var n = 0
    func next() -> Int {
        n += 1
        return n
    }
}
