import ArriwaCore
public import ArriwaRuntime
public import ArriwaStore
public import AsyncHTTPClient
import Foundation
public import Logging
import NIOHTTP1

/// The `audiences` sink: Meta Custom Audiences. An emission's `audiences.add` / `.remove` (names
/// declared in tenant.yaml) become `POST` / `DELETE /{audience_id}/users` with the lead's phone
/// hash, batched per audience and operation (up to 10,000 hashes per request, Meta's limit).
/// A move (A1_STARTED_NOT_FINISHED → A2_QUALIFIED) is a remove and an add of the same row.
/// Rate limits (429, Graph codes 17 / 80003 …) and 5xx fail the row transiently: the dispatcher
/// retries it after 1, 2, 4, 8 s. Adding or removing a member twice is harmless, so a retry
/// repeats all of the row's operations.
public struct AudienceSink: Sink {
    public struct Configuration: Sendable {
        public var window: Duration
        /// Hashes per request (Meta accepts up to 10,000).
        public var maxBatch: Int
        public var timeout: Duration

        public init(window: Duration = .milliseconds(200), maxBatch: Int = 10_000, timeout: Duration = .seconds(20)) {
            self.window = window
            self.maxBatch = min(max(1, maxBatch), 10_000)
            self.timeout = timeout
        }
    }

    struct BatchKey: Hashable, Sendable {
        var url: String
        var method: String
        var token: String
        var tenant: String
        var audienceID: String
    }

    let configs: SinkConfigs
    let batcher: BatchCollector<BatchKey, String>
    let logger: Logger

    public init(configs: SinkConfigs, client: HTTPClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "arriwa.sink.audiences")) {
        self.configs = configs
        self.logger = logger
        let sender = AudienceSender(client: client, timeout: configuration.timeout, logger: logger)
        batcher = BatchCollector(window: configuration.window, maxItems: configuration.maxBatch) { key, hashes in
            await sender.send(hashes, to: key)
        }
    }

    public func deliver(_ record: OutboxRecord) async throws -> String? {
        guard case .emit(let emission) = record.item.effect else {
            throw DeliveryError.permanent("audiences row \(record.id) does not carry an emission")
        }
        if emission.audiencesAdd.isEmpty && emission.audiencesRemove.isEmpty { return CAPISink.skippedID("no audience changes") }
        guard Phone.isHash(emission.phoneHash) else { return CAPISink.skippedID("the lead has no phone hash (username-only lead)") }
        let config: SinkTenantConfig
        do {
            config = try await configs.config(tenant: record.item.tenant)
        } catch let error as SinkConfigError {
            throw DeliveryError.permanent("audiences: \(error)")
        }
        guard let token = config.secret(config.settings.audiencesTokenEnv) else {
            throw DeliveryError.permanent("audiences: token env var \(config.settings.audiencesTokenEnv ?? "(conversions.audiences_token_env not set)") is empty")
        }
        var operations: [(name: String, key: BatchKey)] = []
        for (method, names) in [("DELETE", emission.audiencesRemove), ("POST", emission.audiencesAdd)] {
            for name in names {
                guard let id = config.settings.audienceIDs[name] else {
                    throw DeliveryError.permanent("audiences: '\(name)' has no id in tenant.yaml audiences")
                }
                let url = "\(config.graphURL)/\(config.settings.apiVersion)/\(id)/users"
                operations.append(((method == "POST" ? "+" : "-") + name,
                                   BatchKey(url: url, method: method, token: token, tenant: record.item.tenant, audienceID: id)))
            }
        }
        let batcher = self.batcher
        let hash = emission.phoneHash
        let failures = await withTaskGroup(of: DeliveryError?.self) { group in
            for operation in operations {
                group.addTask {
                    do {
                        _ = try await batcher.submit(hash, key: operation.key)
                        return nil
                    } catch {
                        return (error as? DeliveryError) ?? .transient("\(error)")
                    }
                }
            }
            var failures: [DeliveryError] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        if let failure = failures.first(where: { $0.kind == .transient }) ?? failures.first { throw failure }
        return "audiences: " + operations.map(\.name).joined(separator: " ")
    }
}

/// Sends one batch of hashes to one audience.
struct AudienceSender: Sendable {
    let client: HTTPClient
    let timeout: Duration
    let logger: Logger

    struct Payload: Encodable {
        var schema: [String]
        var data: [[String]]
    }

    func send(_ hashes: [String], to key: AudienceSink.BatchKey) async -> [Result<String?, DeliveryError>] {
        var unique: [String] = []
        var seen = Set<String>()
        for hash in hashes where seen.insert(hash).inserted { unique.append(hash) }
        let outcome = await post(unique, key)
        var metadata: Logger.Metadata = ["tenant": "\(key.tenant)", "audience": "\(key.audienceID)", "operation": "\(key.method == "POST" ? "add" : "remove")",
                                         "members": "\(unique.count)"]
        switch outcome {
        case .success:
            logger.info("audience updated", metadata: metadata)
        case .failure(let error):
            metadata["error"] = "\(error)"
            logger.error("audience update failed", metadata: metadata)
        }
        return hashes.map { _ in outcome }
    }

    private func post(_ hashes: [String], _ key: AudienceSink.BatchKey) async -> Result<String?, DeliveryError> {
        let payload: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            payload = try encoder.encode(Payload(schema: ["PHONE"], data: hashes.map { [$0] }))
        } catch {
            return .failure(.permanent("audiences: cannot encode the payload: \(error)"))
        }
        let body = Data("payload=\(SinkHTTP.formEncode(String(decoding: payload, as: UTF8.self)))".utf8)
        do {
            let response = try await SinkHTTP.send(client, method: key.method == "POST" ? .POST : .DELETE, url: key.url, bearer: key.token,
                                                   contentType: "application/x-www-form-urlencoded", body: body, timeout: timeout,
                                                   what: "Meta Custom Audiences")
            if let failure = GraphError.deliveryError(status: response.status, body: response.body, what: "Meta Custom Audiences") {
                return .failure(failure)
            }
            let answer = try? JSONDecoder().decode(AudienceResponse.self, from: response.body)
            if let invalid = answer?.numInvalidEntries, invalid > 0 {
                logger.warning("audience entries refused as invalid", metadata: ["audience": "\(key.audienceID)", "invalid": "\(invalid)"])
            }
            return .success(answer?.sessionID)
        } catch {
            return .failure(error)
        }
    }
}

/// `{audience_id, session_id, num_received, num_invalid_entries, invalid_entry_samples}`.
struct AudienceResponse: Decodable {
    var audienceID: String?
    var sessionID: String?
    var numReceived: Int?
    var numInvalidEntries: Int?

    enum CodingKeys: String, CodingKey {
        case audienceID = "audience_id"
        case sessionID = "session_id"
        case numReceived = "num_received"
        case numInvalidEntries = "num_invalid_entries"
    }
}
