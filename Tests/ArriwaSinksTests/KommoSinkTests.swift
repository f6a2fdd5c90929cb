import ArriwaCore
import ArriwaRuntime
import ArriwaSinks
import ArriwaStore
import ArriwaTestSupport
import Foundation
import Testing

/// The Kommo CRM sink against the fake Kommo API v4.
@Suite struct KommoSinkTests {
    static let new = 65_432_109
    static let qualified = 65_432_110

    func crmEmission(_ event: String, session: String = "k-1", phone: String = "+15550100456", stage: String? = nil,
                     fields: [String: String] = [:], tags: [String] = [], note: String? = nil) -> OutboxRecord {
        var emission = SinksHarness.emission(event, phone: phone, ctwaClid: "CLID-K", session: session, sinks: ["crm"])
        emission.attribution["source_id"] = "120219384756102938"
        emission.crmStage = stage
        emission.crmFields = fields
        emission.crmTags = tags
        emission.crmNote = note
        return SinksHarness.record(emission, destination: "crm")
    }

    @Test func aLeadsFirstEmissionCreatesItInStageNewWithCTWAFieldsAndAContact() async throws {
        try await SinksHarness.run { h in
            try await h.say("Hi", ctwaClid: "CLID-FLOW")
            try await h.settle()
            let session = try await h.session()
            let leads = await h.kommo.leads()
            try #require(leads.count == 1)
            let lead = leads[0]
            #expect(lead.statusID == Self.new)
            #expect(lead.pipelineID == 7_845_123)
            #expect(lead.fields["1048203"] == ["CLID-FLOW"], "ctwa_clid")
            #expect(lead.fields["1048205"] == ["120219384756102938"], "the ad id")
            #expect(lead.fields["1048201"] == ["ctwa"], "entry")
            #expect(lead.fields["1048211"] == [session.id], "session id, to find the lead again")
            let contact = try #require(await h.kommo.contacts().first)
            #expect(lead.contactID == contact.id)
            #expect(contact.fields["1048301"] == [session.phoneHash], "the contact holds the phone hash, never the number")
            #expect(await h.kommo.notes().map(\.text) == ["Entry: ctwa"])
            #expect(try await h.rows("crm").first?.remoteID == "kommo lead \(lead.id)")
        }
    }

    @Test func aNewContactCarriesThePhoneNumberAndAnExistingOneIsFoundByIt() async throws {
        try await SinksHarness.run { h in
            // The number comes from the lead's sealed address (serve opens it); it goes into
            // Kommo's PHONE field so the manager can call, and finds a contact made by hand.
            let numbers: [String: String] = [try #require(Phone.hash("+15550100456")): "15550100456",
                                             try #require(Phone.hash("+15550100789")): "15550100789"]
            let sink = KommoSink(configs: h.configs, client: h.client, phoneNumber: { _, lane in numbers[lane] })
            _ = try await sink.deliver(crmEmission("FUNNEL_STARTED", session: "p-1", phone: "+15550100456", stage: "New"))
            let created = try #require(await h.kommo.contacts().first)
            #expect(created.fields["PHONE"] == ["+15550100456"])
            #expect(await h.kommo.leads().first?.contactID == created.id)

            let byHand = await h.kommo.addContact(firstName: "Maria", fields: ["PHONE": ["+1 555 010 0789"]])
            _ = try await sink.deliver(crmEmission("FUNNEL_STARTED", session: "p-2", phone: "+15550100789", stage: "New"))
            let second = try #require(await h.kommo.leads().last)
            #expect(second.contactID == byHand, "the lead joins the contact that has the number")
            #expect(await h.kommo.contacts().count == 2)
            #expect(await h.kommo.requests().contains("GET /api/v4/contacts"))
        }
    }

    @Test func laterEmissionsUpdateTheSameLeadAndMoveTheStageOnlyWhenTheFlowSaysSo() async throws {
        try await SinksHarness.run { h in
            _ = try await h.crm.deliver(crmEmission("FUNNEL_STARTED", stage: "New"))
            _ = try await h.crm.deliver(crmEmission("QUALIFY_Q1", fields: ["cf_interest": "yes"], note: "Q1: yes (confidence 0.92)"))
            var lead = try #require(await h.kommo.leads().first)
            #expect(lead.statusID == Self.new, "no stage in the emission: the stage stays")
            #expect(lead.fields["1048209"] == ["yes"])
            _ = try await h.crm.deliver(crmEmission("NEG_QUALIFY_Q2", tags: ["trash|ambiguous"]))
            _ = try await h.crm.deliver(crmEmission("QUALIFY_COMPLETE", stage: "Qualified", tags: ["qualified"]))
            let leads = await h.kommo.leads()
            #expect(leads.count == 1, "one lead per session")
            lead = try #require(leads.first)
            #expect(lead.statusID == Self.qualified)
            #expect(lead.tags == ["trash|ambiguous", "qualified"])
            #expect(await h.kommo.notes().map(\.text) == ["Q1: yes (confidence 0.92)"])
            #expect(await h.kommo.requests().filter { $0 == "POST /api/v4/leads/complex" }.count == 1)
        }
    }

    @Test func aRetryAfterARestartFindsTheLeadBySessionInsteadOfCreatingASecond() async throws {
        try await SinksHarness.run { h in
            _ = try await h.crm.deliver(crmEmission("FUNNEL_STARTED", stage: "New"))
            let fresh = KommoSink(configs: h.configs, client: h.client)
            _ = try await fresh.deliver(crmEmission("QUALIFY_COMPLETE", stage: "Qualified"))
            let leads = await h.kommo.leads()
            #expect(leads.count == 1)
            #expect(leads.first?.statusID == Self.qualified)
            #expect(await h.kommo.requests().contains("GET /api/v4/leads"))
        }
    }

    @Test func aReturningLeadsNewSessionJoinsTheContactFoundByPhoneHash() async throws {
        try await SinksHarness.run { h in
            _ = try await h.crm.deliver(crmEmission("FUNNEL_STARTED", session: "first", stage: "New"))
            _ = try await h.crm.deliver(crmEmission("FUNNEL_STARTED", session: "second", stage: "New"))
            let leads = await h.kommo.leads()
            #expect(leads.count == 2)
            #expect(await h.kommo.contacts().count == 1)
            #expect(Set(leads.compactMap(\.contactID)).count == 1, "both leads on the one contact")
        }
    }

    @Test func rateLimitsAndServerErrorsAreTransientAuthFailuresPermanent() async throws {
        try await SinksHarness.run { h in
            await h.kommo.enqueueStatus(429)
            let limited = await #expect(throws: DeliveryError.self) { _ = try await h.crm.deliver(crmEmission("A")) }
            #expect(limited?.kind == .transient)
            await h.kommo.enqueueStatus(503)
            let down = await #expect(throws: DeliveryError.self) { _ = try await h.crm.deliver(crmEmission("A")) }
            #expect(down?.kind == .transient)
            await h.kommo.enqueueStatus(401)
            let refused = await #expect(throws: DeliveryError.self) { _ = try await h.crm.deliver(crmEmission("A")) }
            #expect(refused?.kind == .permanent)
            #expect(refused?.message.contains("HTTP 401") == true)
            _ = try await h.crm.deliver(crmEmission("A", stage: "New"))
            #expect(await h.kommo.leads().count == 1, "delivered once the API answers")
        }
    }
}
