import ArriwaRuntime
import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// Posts batches of events to one dataset and logs each event's outcome.
struct CAPISender: Sendable {
    let client: HTTPClient
    let configuration: CAPISink.Configuration
    let logger: Logger

    func send(_ events: [CAPIEvent], to key: CAPISink.BatchKey) async -> [Result<String?, DeliveryError>] {
        let outcome = await post(events, to: key)
        switch outcome {
        case .success(let trace):
            for event in events { log(event, key, outcome: "success", ["fbtrace_id": "\(trace ?? "-")", "batch": "\(events.count)"]) }
            return events.map { _ in .success(trace) }
        case .failure(let error) where error.kind == .permanent && events.count > 1:
            // Meta refuses a batch as a whole when one event is bad: find it by sending each alone.
            logger.notice("capi batch refused; resending its events one by one",
                          metadata: ["tenant": "\(key.tenant)", "dataset": "\(key.datasetID)", "batch": "\(events.count)",
                                     "error": "\(error.message)"])
            var results: [Result<String?, DeliveryError>] = []
            for event in events { results += await send([event], to: key) }
            return results
        case .failure(let error):
            for event in events { log(event, key, outcome: "error", ["error": "\(error)", "batch": "\(events.count)"]) }
            return events.map { _ in .failure(error) }
        }
    }

    private func post(_ events: [CAPIEvent], to key: CAPISink.BatchKey) async -> Result<String?, DeliveryError> {
        let body: Data
        do {
            body = try CAPIRequest(data: events, partnerAgent: configuration.partnerAgent).encoded()
        } catch {
            return .failure(.permanent("capi: cannot encode the events: \(error)"))
        }
        do {
            let response = try await SinkHTTP.send(client, method: .POST, url: key.url, bearer: key.token, contentType: "application/json",
                                                   body: body, timeout: configuration.timeout, what: "Meta CAPI")
            if let failure = GraphError.deliveryError(status: response.status, body: response.body, what: "Meta CAPI") {
                return .failure(failure)
            }
            let answer = try? JSONDecoder().decode(CAPIResponse.self, from: response.body)
            if let received = answer?.eventsReceived, received != events.count {
                logger.warning("capi received fewer events than sent",
                               metadata: ["dataset": "\(key.datasetID)", "sent": "\(events.count)", "received": "\(received)"])
            }
            return .success(answer?.fbtraceID)
        } catch {
            return .failure(error)
        }
    }

    private func log(_ event: CAPIEvent, _ key: CAPISink.BatchKey, outcome: String, _ extra: Logger.Metadata) {
        var metadata: Logger.Metadata = ["tenant": "\(key.tenant)", "dataset": "\(key.datasetID)", "event_id": "\(event.eventID)",
                                         "event_name": "\(event.eventName)", "action_source": "\(event.actionSource)", "outcome": "\(outcome)"]
        metadata.merge(extra) { $1 }
        if outcome == "success" { logger.info("capi event", metadata: metadata) } else { logger.error("capi event", metadata: metadata) }
    }
}
