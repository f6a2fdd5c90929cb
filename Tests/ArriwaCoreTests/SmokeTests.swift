import Testing
@testable import ArriwaCore

@Test func versionIsSemver() {
    #expect(ArriwaCore.version.split(separator: ".").count == 3)
}
