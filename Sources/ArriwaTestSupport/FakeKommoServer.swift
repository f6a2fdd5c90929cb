import Foundation
import Hummingbird

/// A loopback stand-in for Kommo's API v4 as the CRM sink uses it (FACTS.md §6): contact and
/// lead search (`?query=` over field values and names; an empty result is a 204), leads/complex
/// (≤ 50 leads, ≤ 1 contact each, an embedded `{id}` links an existing contact), PATCH leads
/// (`status_id`, `custom_fields_values`, `tags_to_add`), and lead notes. Requests need
/// `Authorization: Bearer <token>`. Scripted statuses (`enqueueStatus`) answer the next requests.
public final class FakeKommoServer: Sendable {
    public struct Lead: Sendable, Hashable {
        public var id: Int
        public var name: String
        public var pipelineID: Int?
        public var statusID: Int?
        public var price: Int?
        /// field id → values.
        public var fields: [String: [String]]
        public var tags: [String]
        public var contactID: Int?
    }

    public struct Contact: Sendable, Hashable {
        public var id: Int
        public var firstName: String?
        public var fields: [String: [String]]
    }

    public struct Note: Sendable, Hashable {
        public var leadID: Int
        public var type: String
        public var text: String
    }

    actor State {
        let token: String
        var statuses: [Int] = []
        var leads: [Int: Lead] = [:]
        var contacts: [Int: Contact] = [:]
        var notes: [Note] = []
        var requests: [String] = []
        var nextID = 9_774_766

        init(token: String) {
            self.token = token
        }

        func begin(_ line: String, authorization: String?) -> Int? {
            requests.append(line)
            guard authorization == "Bearer \(token)" else { return 401 }
            return statuses.isEmpty ? nil : statuses.removeFirst()
        }

        func id() -> Int {
            nextID += 1
            return nextID
        }

        func addContact(_ contact: Contact) { contacts[contact.id] = contact }
        func put(_ lead: Lead) { leads[lead.id] = lead }
        func add(_ note: Note) { notes.append(note) }
        func enqueue(_ more: [Int]) { statuses += more }
    }

    public let port: Int
    /// The base URL to configure (`crm.base_url_env`), like `https://acmeleads.kommo.com`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    let state: State
    private let task: Task<Void, any Error>

    private init(port: Int, state: State, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    public static func start(token: String = "test-kommo-token") async throws -> FakeKommoServer {
        let state = State(token: token)
        let router = Router()
        router.get("/api/v4/leads") { request, _ in
            if let status = await state.begin("GET /api/v4/leads", authorization: request.headers[.authorization]) { return problem(status) }
            let query = request.uri.queryParameters.get("query") ?? ""
            let found = await state.leads.values.filter { lead in lead.name.contains(query) || lead.fields.values.contains { $0.contains(query) } }
            return list("leads", found.sorted { $0.id < $1.id }.map(json))
        }
        router.get("/api/v4/contacts") { request, _ in
            if let status = await state.begin("GET /api/v4/contacts", authorization: request.headers[.authorization]) { return problem(status) }
            let query = request.uri.queryParameters.get("query") ?? ""
            // Kommo's query is a search over field values; a phone matches on its digits as well.
            let found = await state.contacts.values.filter { contact in
                contact.fields.values.contains { values in
                    values.contains { $0.contains(query) || (!query.isEmpty && $0.filter(\.isNumber).contains(query)) }
                }
            }
            return list("contacts", found.sorted { $0.id < $1.id }.map(json))
        }
        router.post("/api/v4/leads/complex") { request, _ in
            if let status = await state.begin("POST /api/v4/leads/complex", authorization: request.headers[.authorization]) { return problem(status) }
            let body = try await request.body.collect(upTo: 4 << 20)
            return await complex(Data(body.readableBytesView), state)
        }
        router.patch("/api/v4/leads") { request, _ in
            if let status = await state.begin("PATCH /api/v4/leads", authorization: request.headers[.authorization]) { return problem(status) }
            let body = try await request.body.collect(upTo: 4 << 20)
            return await patch(Data(body.readableBytesView), state)
        }
        router.post("/api/v4/leads/notes") { request, _ in
            if let status = await state.begin("POST /api/v4/leads/notes", authorization: request.headers[.authorization]) { return problem(status) }
            let body = try await request.body.collect(upTo: 4 << 20)
            guard let items = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] else { return problem(400) }
            var ids: [[String: Any]] = []
            for item in items {
                guard let lead = item["entity_id"] as? Int, await state.leads[lead] != nil,
                      let text = (item["params"] as? [String: Any])?["text"] as? String else { return problem(400) }
                await state.add(Note(leadID: lead, type: item["note_type"] as? String ?? "", text: text))
                ids.append(["id": await state.id(), "entity_id": lead])
            }
            return hal(["_embedded": ["notes": ids]])
        }
        let (port, task) = try await FakeServerRunner.start(router, name: "fake-kommo")
        return FakeKommoServer(port: port, state: state, task: task)
    }

    static func fields(_ any: Any?) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        for field in any as? [[String: Any]] ?? [] {
            guard let key = (field["field_id"] as? Int).map(String.init) ?? field["field_code"] as? String else { continue }
            fields[key] = (field["values"] as? [[String: Any]] ?? []).compactMap { value in
                (value["value"] as? String) ?? (value["value"] as? Int).map(String.init) ?? (value["enum_id"] as? Int).map(String.init)
            }
        }
        return fields
    }

    static func complex(_ body: Data, _ state: State) async -> Response {
        guard let leads = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]], (1...50).contains(leads.count) else {
            return problem(400, "the body must be an array of 1 to 50 leads")
        }
        var answer: [[String: Any]] = []
        for (index, item) in leads.enumerated() {
            let embedded = item["_embedded"] as? [String: Any] ?? [:]
            let contacts = embedded["contacts"] as? [[String: Any]] ?? []
            guard contacts.count <= 1, (item["custom_fields_values"] as? [Any] ?? []).count <= 40 else {
                return problem(400, "at most 1 contact and 40 custom field values per lead")
            }
            var contactID: Int?
            if let contact = contacts.first {
                if let existing = contact["id"] as? Int {
                    guard await state.contacts[existing] != nil else { return problem(400, "contact \(existing) does not exist") }
                    contactID = existing
                } else {
                    let id = await state.id()
                    await state.addContact(Contact(id: id, firstName: contact["first_name"] as? String, fields: fields(contact["custom_fields_values"])))
                    contactID = id
                }
            }
            let id = await state.id()
            let tags = (embedded["tags"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            await state.put(Lead(id: id, name: item["name"] as? String ?? "", pipelineID: item["pipeline_id"] as? Int,
                                 statusID: item["status_id"] as? Int, price: item["price"] as? Int,
                                 fields: fields(item["custom_fields_values"]), tags: tags, contactID: contactID))
            answer.append(["id": id, "contact_id": contactID.map { $0 as Any } ?? NSNull(), "company_id": NSNull(),
                           "request_id": [String(index)], "merged": false])
        }
        return hal(answer)
    }

    static func patch(_ body: Data, _ state: State) async -> Response {
        guard let items = try? JSONSerialization.jsonObject(with: body) as? [[String: Any]] else { return problem(400) }
        var updated: [[String: Any]] = []
        for item in items {
            guard let id = item["id"] as? Int, var lead = await state.leads[id] else { return problem(400, "lead not found") }
            if let status = item["status_id"] as? Int { lead.statusID = status }
            if let price = item["price"] as? Int { lead.price = price }
            lead.fields.merge(fields(item["custom_fields_values"])) { $1 }
            for tag in (item["tags_to_add"] as? [[String: Any]] ?? []).compactMap({ $0["name"] as? String }) where !lead.tags.contains(tag) {
                lead.tags.append(tag)
            }
            await state.put(lead)
            updated.append(["id": id, "updated_at": Int(Date().timeIntervalSince1970)])
        }
        return hal(["_embedded": ["leads": updated]])
    }

    static func json(_ lead: Lead) -> [String: Any] {
        ["id": lead.id, "name": lead.name, "status_id": lead.statusID ?? 0, "pipeline_id": lead.pipelineID ?? 0,
         "custom_fields_values": lead.fields.map { key, values in
             ["field_id": Int(key) ?? 0, "values": values.map { ["value": $0] }] as [String: Any]
         }]
    }

    static func json(_ contact: Contact) -> [String: Any] {
        ["id": contact.id, "first_name": contact.firstName ?? "",
         "custom_fields_values": contact.fields.map { key, values in
             // Custom fields by id; system fields (PHONE) as Kommo answers them: with their code.
             (Int(key).map { ["field_id": $0] } ?? ["field_id": 0, "field_code": key]).merging(["values": values.map { ["value": $0] }]) { $1 }
         }]
    }

    static func list(_ kind: String, _ items: [[String: Any]]) -> Response {
        items.isEmpty ? Response(status: .noContent) : hal(["_page": 1, "_links": [:] as [String: Any], "_embedded": [kind: items]])
    }

    static func hal(_ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return FakeServerRunner.json(200, String(decoding: data, as: UTF8.self), contentType: "application/hal+json")
    }

    static func problem(_ status: Int, _ detail: String = "request refused") -> Response {
        FakeServerRunner.json(status, "{\"title\":\"HTTP \(status)\",\"status\":\(status),\"detail\":\"\(detail)\"}",
                              contentType: "application/problem+json")
    }

    /// Answers the next requests with these HTTP statuses (e.g. 429, 503), in order.
    public func enqueueStatus(_ statuses: Int...) async { await state.enqueue(statuses) }
    public func leads() async -> [Lead] { await state.leads.values.sorted { $0.id < $1.id } }
    public func contacts() async -> [Contact] { await state.contacts.values.sorted { $0.id < $1.id } }
    /// A contact a manager created by hand (e.g. with only the phone number); returns its id.
    public func addContact(firstName: String, fields: [String: [String]]) async -> Int {
        let id = await state.id()
        await state.addContact(Contact(id: id, firstName: firstName, fields: fields))
        return id
    }
    public func notes() async -> [Note] { await state.notes }
    /// `METHOD /path` of every request, in order.
    public func requests() async -> [String] { await state.requests }

    public func shutdown() async {
        task.cancel()
        _ = await task.result
    }
}
