import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// Conversion levels 1–3 from CRM webhooks: OR logic, once per lead.
@Suite struct CRMLevelTests {
    @Test func kommosFormWebhookParsesIntoLeadChanges() {
        let body = "leads%5Bstatus%5D%5B0%5D%5Bid%5D=42&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=143"
            + "&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bid%5D=1048215"
            + "&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=booked"
            + "&leads%5Bupdate%5D%5B0%5D%5Bid%5D=43&account%5Bid%5D=1"
        let changes = CRMLeadChange.parseKommoForm(body)
        #expect(changes == [CRMLeadChange(leadID: "42", statusID: "143", fields: ["1048215": ["booked"]]), CRMLeadChange(leadID: "43")])
    }

    @Test func levelsAreReachedByAnyConditionAndEmittedOncePerLead() async throws {
        try await SinksHarness.run { h in
            try await h.say("Hi", ctwaClid: "CLID-LEVEL")
            try await h.settle()
            let session = try await h.session()
            let lead = try #require(await h.kommo.leads().first)
            func post(_ fields: [(String, String)], status: String? = nil) async throws -> SinksHarness.Reply {
                var parts = ["leads[update][0][id]=\(lead.id)", "leads[update][0][custom_fields][0][id]=1048211",
                             "leads[update][0][custom_fields][0][values][0][value]=\(session.id)"]
                if let status { parts.append("leads[update][0][status_id]=\(status)") }
                for (index, field) in fields.enumerated() {
                    parts.append("leads[update][0][custom_fields][\(index + 1)][id]=\(field.0)")
                    parts.append("leads[update][0][custom_fields][\(index + 1)][values][0][value]=\(field.1)")
                }
                let body = parts.map { $0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)?
                    .replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D") ?? $0 }.joined(separator: "&")
                return try await h.post("/crm/webhook?secret=\(SinksHarness.tenantSecret)", body: Data(body.utf8),
                                        headers: [("Content-Type", "application/x-www-form-urlencoded")])
            }
            // Level 1 by its status condition.
            var reply = try await post([], status: "65432110")
            #expect(reply.json["queued"] as? Int == 1)
            try await h.settle()
            // Level 1 again by its other condition (cf_interest = yes): already reached.
            reply = try await post([("1048209", "yes")])
            #expect(reply.json["duplicates"] as? Int == 1)
            // Level 2 by a field value.
            reply = try await post([("1048215", "booked")])
            #expect(reply.json["queued"] as? Int == 1)
            // A change that reaches no level.
            reply = try await post([("1048215", "cancelled")])
            #expect(reply.json["status"] as? String == "ignored")
            try await h.settle()

            let events = await h.meta.events()
            #expect(events.map(\.eventID) == ["\(session.id)-level-1", "\(session.id)-level-2"])
            #expect(events.map(\.eventName) == ["LeadSubmitted", "QualifiedLead"], "CRM_LEVEL_n mapped by conversions.event_names")
            #expect(events.allSatisfy { $0.event["user_data"]?["ctwa_clid"]?.string == "CLID-LEVEL" })
        }
    }

    @Test func theCRMWebhookNeedsTheTenantSecret() async throws {
        try await SinksHarness.run { h in
            let reply = try await h.post("/crm/webhook?secret=wrong", body: Data("{\"leads\":[]}".utf8), headers: [("Content-Type", "application/json")])
            #expect(reply.status == 401)
            let malformed = try await h.post("/crm/webhook?secret=\(SinksHarness.tenantSecret)", body: Data("{\"nope\":1}".utf8),
                                             headers: [("Content-Type", "application/json")])
            #expect(malformed.status == 400)
            #expect(malformed.json["field"] as? String == "leads")
        }
    }
}
