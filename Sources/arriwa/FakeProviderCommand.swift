import ArgumentParser
import ArriwaTestSupport
import Foundation

/// `arriwa fake-provider`: the fake WhatsApp Cloud API for demos — point a tenant at it with
/// ARRIWA_WHATSAPP_BASE_URL, and it answers sends and posts signed status webhooks back.
struct FakeProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-provider",
        abstract: "Run a fake WhatsApp Cloud API that accepts sends and posts signed status webhooks back.",
        discussion: """
        Answers POST /{version}/{phone_number_id}/messages ('Authorization: Bearer <token>') as the Cloud API does. \
        Point arriwa serve at it with ARRIWA_WHATSAPP_BASE_URL=http://127.0.0.1:<port>.

        Secrets come from the environment, never from options:
          ARRIWA_FAKE_PROVIDER_TOKEN: the access token senders present (the tenant's access_token_env value).
          ARRIWA_FAKE_PROVIDER_APP_SECRET: the app secret Cloud webhooks are signed with (X-Hub-Signature-256).
          ARRIWA_FAKE_PROVIDER_WEBHOOK_SECRET: the tenant secret, for --webhook-format neutral.

        Failures for demos (repeatable): --fail 15550100456=131047 (an error code), =503 (an HTTP status), \
        =timeout, or =status:131026 (accepted, then a failed status webhook).

        Stop with Ctrl-C.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case cloud, neutral
    }

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on (0: any free port).", valueName: "port"))
    var port = 8090

    @Option(name: .customLong("webhook-url"),
            help: ArgumentHelp("Where to post status webhooks (e.g. the tenant's Cloud API webhook URL on arriwa serve).",
                               valueName: "url"))
    var webhookURL: String?

    @Option(name: .customLong("webhook-format"), help: ArgumentHelp("cloud (signed Meta envelope) or neutral.", valueName: "format"))
    var webhookFormat: Format = .cloud

    @Option(name: .customLong("phone-number-id"), help: ArgumentHelp("The phone number id the statuses name.", valueName: "id"))
    var phoneNumberID = "118374659201847"

    @Option(name: .customLong("fail"), help: ArgumentHelp("Inject a failure for a recipient: <digits>=<code|status|timeout|status:code>.",
                                                          valueName: "rule"))
    var failures: [String] = []

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let token = env["ARRIWA_FAKE_PROVIDER_TOKEN"], !token.isEmpty else {
            throw ValidationError("ARRIWA_FAKE_PROVIDER_TOKEN is not set: the fake needs the access token senders will present")
        }
        var webhook: FakeWhatsAppProvider.Webhook?
        if let webhookURL {
            switch webhookFormat {
            case .cloud:
                guard let secret = env["ARRIWA_FAKE_PROVIDER_APP_SECRET"], !secret.isEmpty else {
                    throw ValidationError("ARRIWA_FAKE_PROVIDER_APP_SECRET is not set: Cloud webhooks are signed with the app secret")
                }
                webhook = .init(url: webhookURL, format: .cloud(appSecret: secret))
            case .neutral:
                guard let secret = env["ARRIWA_FAKE_PROVIDER_WEBHOOK_SECRET"], !secret.isEmpty else {
                    throw ValidationError("ARRIWA_FAKE_PROVIDER_WEBHOOK_SECRET is not set: the neutral webhook needs the tenant secret")
                }
                webhook = .init(url: webhookURL, format: .neutral(secret: secret))
            }
        }
        let rules = try failures.map(Self.parseFailure)
        let provider = try await FakeWhatsAppProvider.start(.init(host: host, port: port, accessToken: token, phoneNumberID: phoneNumberID,
                                                                  webhook: webhook, statuses: FakeWhatsAppProvider.StatusStep.demo))
        for (recipient, failure) in rules { await provider.injectAlways(failure, for: recipient) }
        print("fake WhatsApp provider listening on \(provider.baseURL) (set ARRIWA_WHATSAPP_BASE_URL=\(provider.baseURL))")
        if let webhookURL { print("posting \(webhookFormat.rawValue) status webhooks to \(webhookURL)") }
        await Self.waitForSignal()
        print("stopping; \(await provider.received().count) send(s) received")
        await provider.shutdown()
    }

    /// `15550100456=131047`, `=503`, `=timeout`, `=status:131026`.
    static func parseFailure(_ rule: String) throws -> (String, FakeWhatsAppProvider.Failure) {
        let parts = rule.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--fail '\(rule)': expected <digits>=<failure>") }
        let recipient = parts[0].filter(\.isNumber)
        guard !recipient.isEmpty else { throw ValidationError("--fail '\(rule)': the recipient must be a number (digits, as in 'to')") }
        let what = parts[1]
        if what == "timeout" { return (recipient, .timeout) }
        if what.hasPrefix("status:"), let code = Int(what.dropFirst("status:".count)) { return (recipient, .failedStatus(code: code)) }
        if let number = Int(what) {
            return (recipient, (500...599).contains(number) ? .serverError(status: number) : .error(code: number))
        }
        throw ValidationError("--fail '\(rule)': the failure must be an error code, a 5xx status, timeout or status:<code>")
    }

    static func waitForSignal() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
        sources.forEach { $0.cancel() }
    }
}
