import Foundation
import Testing

/// The provider payloads in Fixtures/ (copied from ../shared/fixtures/providers/, metadata keys
/// removed), as the bytes a provider would post.
enum InboundFixtures {
    static let lead = "15550100456"
    static let now: Int64 = 1_800_000_000_000

    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                               "missing fixture \(name).json")
        return Array(try Data(contentsOf: url))
    }

    static func object(_ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes(name))) as? [String: Any])
    }

    static func cloudInbound() -> [String] {
        ["cloud-inbound-text", "cloud-inbound-ctwa-referral", "cloud-inbound-button-reply", "cloud-inbound-list-reply",
         "cloud-inbound-template-button", "cloud-inbound-image", "cloud-inbound-audio"]
    }

    static func cloudStatuses() -> [String] {
        ["cloud-status-sent", "cloud-status-delivered", "cloud-status-read", "cloud-status-failed-131047",
         "cloud-status-sent-free-entry-point"]
    }

    static func gupshupInbound() -> [String] {
        ["gupshup-inbound-text", "gupshup-inbound-button-reply", "gupshup-inbound-list-reply",
         "gupshup-inbound-template-quick-reply", "gupshup-inbound-v3-ctwa-referral"]
    }

    static func evolutionInbound() -> [String] {
        ["evolution-messages-upsert-ctwa", "evolution-messages-upsert-ctwa-lid"]
    }
}
