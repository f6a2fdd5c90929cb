public import ArriwaStore
import Crypto
import Foundation

/// Keeps `store.saveContactAddress` off the hot path: a lead's sealed address is written when its
/// lane is first seen by this process or when the address changed (a lane's address can change,
/// e.g. a BSUID user who later shows a phone); otherwise a webhook costs one dictionary lookup.
/// The cache holds digests only, never addresses.
public actor ContactBook {
    private let store: any Store
    private let sealer: AddressSealer
    private var known: [String: SHA256Digest] = [:]
    private let capacity: Int

    /// - Parameter capacity: cached lanes; the cache is emptied (and refilled by use) beyond it.
    public init(store: any Store, sealer: AddressSealer, capacity: Int = 200_000) {
        self.store = store
        self.sealer = sealer
        self.capacity = capacity
    }

    /// Stores how to reach the lead of `address.lane` unless this process already stored the
    /// same address. Returns true when it wrote.
    @discardableResult
    public func remember(tenant: String, address: LeadAddress, now: Int64) async throws -> Bool {
        let key = tenant + "\u{0}" + address.lane
        let digest = SHA256.hash(data: Array("\(address.kind.rawValue):\(address.value)".utf8))
        if known[key] == digest { return false }
        let sealed = try sealer.seal(address.value)
        try await store.saveContactAddress(ContactAddress(tenant: tenant, lane: address.lane, kind: address.kind, sealed: sealed,
                                                          updatedAt: now))
        if known.count >= capacity { known.removeAll(keepingCapacity: true) }
        known[key] = digest
        return true
    }
}
