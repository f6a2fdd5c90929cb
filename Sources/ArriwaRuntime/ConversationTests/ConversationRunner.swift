public import ArriwaCore
import ArriwaStore

/// The result of one conversation test.
public struct ConversationResult: Sendable {
    public struct Failure: Sendable {
        public var step: Int
        public var label: String
        public var location: SourceLocation
        /// What differed, readable: expected vs actual lines.
        public var message: String
    }

    public var file: String
    public var name: String
    public var steps: Int
    public var failures: [Failure]
    public var passed: Bool { failures.isEmpty }
}

/// Runs conversation scripts against a tenant's program on the in-memory runtime.
public struct ConversationRunner: Sendable {
    public var program: Program
    /// Loads another version of the tenant for `deploy:` steps (path relative to the test file).
    public var loadProgram: @Sendable (String) -> Result<Program, ScriptError>
    public var classify: @Sendable (ClassifyRequest) async -> Classification

    public init(program: Program, loadProgram: @escaping @Sendable (String) -> Result<Program, ScriptError>,
                classify: @escaping @Sendable (ClassifyRequest) async -> Classification = LocalRuntime.rulesOnly) {
        self.program = program
        self.loadProgram = loadProgram
        self.classify = classify
    }

    /// 2026-03-02T09:00:00Z: every test starts at the same instant, so texts with times are stable.
    public static let epoch: Int64 = 1_772_442_000_000

    public func run(_ script: ConversationScript) async -> ConversationResult {
        let ids = IDSource()
        let runtime = LocalRuntime(program: program, startAt: Self.epoch,
                                   configuration: .init(classify: classify, newSubscriberID: { ids.next() }))
        var lead = script.lead
        var allSends: [OutboundMessage] = []
        var failures: [ConversationResult.Failure] = []
        for (index, step) in script.steps.enumerated() {
            var records: [LocalRuntime.TurnRecord] = []
            var problem: String?
            if let action = step.action {
                switch action {
                case .say(let text):
                    records.append(await runtime.inbound(phone: lead.phone, text: text, profileName: lead.name, language: lead.language,
                                                         referral: lead.referral))
                case .tap(let choice):
                    let last = await lastChoices(runtime, lead: lead, sends: allSends)
                    let wanted = choice.lowercased()
                    if let (message, button) = last.flatMap({ m in
                        m.content.choices.first { $0.title.lowercased() == wanted || $0.id.lowercased() == wanted }.map { (m, $0) } }) {
                        let kind: InboundMessage.Kind = if case .list = message.content { .list } else { .button }
                        records.append(await runtime.inbound(phone: lead.phone, kind: kind, text: "", replyID: button.id,
                                                             replyTitle: button.title, profileName: lead.name, language: lead.language,
                                                             referral: lead.referral))
                    } else {
                        let offered = last?.content.choices.map(\.title).joined(separator: " | ") ?? "none"
                        problem = "cannot tap `\(choice)`: the last bot message with choices offers \(offered)"
                    }
                case .media(let type, let caption):
                    records.append(await runtime.inbound(phone: lead.phone, kind: .media, text: caption ?? "", profileName: lead.name,
                                                         language: lead.language, referral: lead.referral))
                    _ = type
                case .status(let state, let errorCode, let ref):
                    let target: OutboundMessage?
                    switch ref {
                    case .last: target = await lastSent(runtime, lead: lead, sends: allSends)
                    case .index(let n): target = n <= allSends.count ? allSends[n - 1] : nil
                    }
                    if let target {
                        records.append(await runtime.status(messageID: target.id, state, errorCode: errorCode))
                    } else {
                        problem = "no bot message to report `\(state.rawValue)` for"
                    }
                case .advance(let ms):
                    records += await runtime.advance(by: ms)
                case .event(let name, let payload):
                    if let session = await session(runtime, lead: lead) {
                        records.append(await runtime.external(sessionID: session.id, name: name, payload: payload))
                    } else {
                        problem = "no session to send `\(name)` to"
                    }
                case .operatorClose:
                    if let session = await session(runtime, lead: lead) {
                        records.append(await runtime.operatorClose(sessionID: session.id, operatorID: "test-operator"))
                    } else {
                        problem = "no session for the operator to close"
                    }
                case .lead(let next):
                    lead = next
                case .deploy(let path):
                    switch loadProgram(path) {
                    case .success(let program): await runtime.deploy(program)
                    case .failure(let error): problem = "cannot deploy \(path): \(error.message)"
                    }
                }
            }
            for record in records { allSends += record.sends }
            if problem == nil, let expect = step.expect {
                let state = await session(runtime, lead: lead)
                let count = await sessionCount(runtime, lead: lead)
                let problems = ExpectationCheck(records: records, state: state, sessions: count, now: await runtime.now).check(expect)
                if !problems.isEmpty { problem = problems.joined(separator: "\n") }
            }
            if let problem {
                failures.append(.init(step: index + 1, label: step.label, location: step.location, message: problem))
                break
            }
        }
        return ConversationResult(file: script.file, name: script.name, steps: script.steps.count, failures: failures)
    }

    private func subscriber(_ runtime: LocalRuntime, lead: ConversationScript.Lead) async -> String? {
        guard let hash = Phone.hash(lead.phone) else { return nil }
        return await runtime.store.subscriberID(phoneHash: hash)
    }

    private func session(_ runtime: LocalRuntime, lead: ConversationScript.Lead) async -> SessionState? {
        guard let sub = await subscriber(runtime, lead: lead) else { return nil }
        return await runtime.store.latestSession(subscriberID: sub)
    }

    private func sessionCount(_ runtime: LocalRuntime, lead: ConversationScript.Lead) async -> Int {
        guard let sub = await subscriber(runtime, lead: lead) else { return 0 }
        return await runtime.store.allSessions.filter { $0.subscriberID == sub }.count
    }

    private func lastSent(_ runtime: LocalRuntime, lead: ConversationScript.Lead, sends: [OutboundMessage]) async -> OutboundMessage? {
        guard let sub = await subscriber(runtime, lead: lead) else { return nil }
        return sends.last { $0.subscriberID == sub }
    }

    private func lastChoices(_ runtime: LocalRuntime, lead: ConversationScript.Lead, sends: [OutboundMessage]) async -> OutboundMessage? {
        guard let sub = await subscriber(runtime, lead: lead) else { return nil }
        return sends.last { $0.subscriberID == sub && !$0.content.choices.isEmpty }
    }
}

/// Subscriber ids for a test run: `sub-1`, `sub-2`, ... in order of first contact.
final class IDSource: @unchecked Sendable {
    // Only touched from the runtime actor, one call at a time; the class exists to be captured.
    private var count = 0
    func next() -> String {
        count += 1
        return "sub-\(count)"
    }
}
