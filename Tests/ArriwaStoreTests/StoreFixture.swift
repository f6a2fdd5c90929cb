import ArriwaCore
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Logging

/// The stores the conformance suite runs against. Each test gets a fresh, migrated store: a new
/// SQLite file in a temporary directory, a new PostgreSQL database (see PostgresTestServer).
enum StoreFixture: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static let logger = Logger(label: "arriwa.store.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    func make() async throws -> any Store {
        let store: any Store
        switch self {
        case .memory:
            store = InMemoryStore()
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arriwa-sqlite-\(UUID().uuidString)")
            store = try await SQLiteStore.open(path: directory.appendingPathComponent("store.db").path, logger: Self.logger)
        case .postgres:
            let admin = try await PostgresTestServer.adminURL()
            let name = PostgresTestServer.freshDatabaseName()
            try await PostgresAdmin.createDatabase(name, adminURL: admin, logger: Self.logger)
            let configuration = PostgresStore.Configuration(maximumConnections: 8, afterShutdown: {
                try? await PostgresAdmin.dropDatabase(name, adminURL: admin, logger: StoreFixture.logger)
            })
            store = try await PostgresStore.open(url: try PostgresAdmin.url(admin, database: name), configuration: configuration, logger: Self.logger)
        }
        try await store.migrate()
        return store
    }
}

import Testing

/// Builders for the values the suite writes.
enum Sample {
    static let tenant = "acme"

    static func contact(_ n: Int) -> Contact {
        Contact(subscriberID: "sub-\(n)", phoneHash: "hash-\(n)", profileName: "Lead \(n)", language: "ru")
    }

    static func message(_ n: Int, id: String, text: String = "hi", at: Int64 = 1_000) -> EngineEvent {
        .inbound(InboundMessage(id: id, text: text, receivedAt: at, contact: contact(n)))
    }

    static func item(_ n: Int, id: String, tenant: String = tenant, at: Int64 = 1_000) -> InboxItem {
        InboxItem(tenant: tenant, lane: "hash-\(n)", dedupeKey: id, kind: .message, event: message(n, id: id, at: at), receivedAt: at)
    }

    /// A session with every kind of field set, to check the stored state round-trips exactly.
    static func session(_ n: Int, turn: Int = 1, attribution: [String: String] = ["ctwa_clid": "clid-1", "ad_id": "42"]) -> SessionState {
        var state = SessionState(id: "ctwa_fb_sub-\(n)_1700000000000", contact: contact(n), tenant: tenant, flowVersion: "v1abc",
                                 language: "ru", entry: "ctwa", attribution: attribution,
                                 referralRaw: #"{"source_url":"https://fb.me/x","ctwa_clid":"clid-1"}"#, startedAt: 1_700_000_000_000)
        state.turn = turn
        state.waitToken = UInt64(UInt32.max) + 7
        state.step = "q2"
        state.retries = ["q1": 1]
        state.answers = ["q1": "clinic"]
        state.answersRaw = ["q1": "У нас клиника 🦷"]
        state.confidence = ["q1": 0.875]
        state.emittedKeys = ["k1", "k2"]
        state.lastInboundAt = 1_700_000_100_000
        state.snoozedUntil = nil
        state.stack = [SessionState.Frame(flow: "main", node: "ask_q2", vars: ["budget": .number(12.5), "name": .string("Анна")])]
        state.timers = ["t": TimerSpec(sessionID: state.id, kind: .nudge, token: state.waitToken, index: 1, dueAt: 1_700_000_900_000)]
        return state
    }

    static func send(_ id: String, session: SessionState) -> Effect {
        .send(OutboundMessage(id: id, sessionID: session.id, subscriberID: session.subscriberID, phoneHash: session.phoneHash,
                              origin: "ask_q1", purpose: .flow, content: .text("Q1?"), windowOpen: true, step: "q1",
                              replaces: nil, fallbackTemplate: nil))
    }

    static func emit(_ key: String, session: SessionState, sinks: [String] = ["capi", "crm"]) -> Effect {
        .emit(Emission(key: key, event: "QUALIFY_Q1", stream: .GOOD, sinks: sinks, sessionID: session.id,
                       subscriberID: session.subscriberID, phoneHash: session.phoneHash, eventTime: 1_000, origin: "emit_q1"))
    }

    static func timer(_ session: SessionState, token: UInt64 = 1, index: Int = 0, due: Int64) -> TimerSpec {
        TimerSpec(sessionID: session.id, kind: .nudge, token: token, index: index, dueAt: due)
    }
}
