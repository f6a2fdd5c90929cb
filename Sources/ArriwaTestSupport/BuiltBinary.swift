public import Foundation

/// The `arriwa` executable the tests run as a user would: `ARRIWA_BINARY` when set, else the one
/// `swift build` put beside the test bundle (or in `.build/debug` of this checkout).
public enum BuiltBinary {
    public static let arriwa: URL? = {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["ARRIWA_BINARY"], fm.isExecutableFile(atPath: explicit) {
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [URL] = []
        if let runner = CommandLine.arguments.first, runner.contains("/") {
            var url = URL(fileURLWithPath: runner).resolvingSymlinksInPath()
            for _ in 0..<4 {
                url.deleteLastPathComponent()
                candidates.append(url.appendingPathComponent("arriwa"))
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/arriwa"))
        return candidates.first { url in
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue && fm.isExecutableFile(atPath: url.path)
        }
    }()
}
