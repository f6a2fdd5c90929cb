import Foundation

/// Lease owner names: `hostname/pid/random`, unique per process and service, readable in the
/// database when an operator wonders who holds a lane.
public enum WorkerIdentity {
    public static func make(_ role: String) -> String {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let random = UInt32.random(in: 0...UInt32.max)
        return "\(host)/\(pid)/\(role)-\(String(random, radix: 16))"
    }
}
