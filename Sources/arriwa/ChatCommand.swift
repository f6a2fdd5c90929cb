import ArgumentParser
import ArriwaCore
import ArriwaClassify
import ArriwaRuntime
import AsyncHTTPClient
import Foundation

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Talk to a tenant's funnel in the terminal, as the lead.",
        discussion: """
            Type as the lead; the bot's messages appear with their buttons or list rows \
            numbered — type the number to tap one. Emitted events, timers and handovers are \
            shown as they happen. Runs on the in-memory store with a virtual clock. Answers \
            are classified by the offline rules; when ARRIWA_LLM_BASE_URL and ARRIWA_LLM_MODEL \
            are set (docs/classifiers.md), answers the rules are not sure of go to that \
            OpenAI-compatible model.

            COMMANDS
              <text>              send a message as the lead
              <n>                 tap button / row n of the last bot message
              /tap <title|id>     tap by title or id
              /status <state>     delivery status of the last bot message: sent, delivered, read, failed [code]
              /advance <dur>      move the clock (15m, 2h, 1d); due timers (nudges, timeouts) fire
              /event <name>       an external event (e.g. payment.completed)
              /close              the operator closes the handover
              /state              the session: step, answers, variables, flags, timers
              /events             every event emitted so far
              /reset              forget everything and start over
              /help, /quit

            EXAMPLES
              arriwa chat flows/demo-clinic
              arriwa chat flows/demo-clinic --language ru
              arriwa chat flows/demo-clinic --referral ctwa_clid=ARAkLk,source_id=120210000000001,source_type=ad
              printf 'Hi\\n1\\n/state\\n' | arriwa chat flows/demo-clinic
            """
    )

    @Argument(help: ArgumentHelp("The tenant directory.", valueName: "tenant"))
    var tenant: String

    @Option(help: ArgumentHelp("The lead's phone number (hashed at once, never stored).", valueName: "phone"))
    var phone: String = "+15550100001"

    @Option(help: ArgumentHelp("The lead's WhatsApp language (e.g. en, ru).", valueName: "code"))
    var language: String = "en"

    @Option(help: ArgumentHelp("The lead's profile name.", valueName: "name"))
    var name: String = "Lead"

    @Option(help: ArgumentHelp("A click-to-WhatsApp referral for the first message: key=value pairs separated by commas.",
                               valueName: "fields"))
    var referral: String?

    func run() async throws {
        let loaded = try await TenantLoading.load(tenant)
        let referral = try parseReferral()
        var httpClient: HTTPClient?
        var classify = LocalRuntime.rulesOnly
        var classifierName = "rules only (set ARRIWA_LLM_BASE_URL and ARRIWA_LLM_MODEL for a model)"
        if let llm = OpenAIClassifier.Configuration.fromEnvironment() {
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            httpClient = client
            let chain = ClassifierChain(
                configuration: .init(validThreshold: loaded.program.tenant.validThreshold,
                                     noiseThreshold: loaded.program.tenant.noiseThreshold),
                model: OpenAIClassifier(configuration: llm, httpClient: client))
            classify = { request in await chain.classify(request) }
            classifierName = "rules, then \(llm.model) at \(llm.baseURL)"
        }
        var session = ChatSession(program: loaded.program, phone: phone, language: language, name: name,
                                  referral: referral, classify: classify)
        print("Chatting with \(loaded.program.tenant.name) (\(tenant), version \(loaded.program.version)). /help for commands, /quit to leave.")
        print("Classifier: \(classifierName).")
        session.start()
        while true {
            print("you> ", terminator: "")
            fflush(nil)
            guard let line = readLine() else { break }
            let keepGoing = await session.handle(line.trimmingCharacters(in: .whitespaces))
            if !keepGoing { break }
        }
        print("")
        print(session.summary())
        if let httpClient { try? await httpClient.shutdown() }
    }

    func parseReferral() throws -> [String: String]? {
        guard let referral else { return nil }
        var fields: [String: String] = [:]
        for pair in referral.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--referral takes key=value pairs, got '\(pair)'") }
            fields[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        return fields
    }
}
