import Testing
@testable import ArriwaSinks

@Suite struct ArriwaSinksModuleTests {
    @Test func moduleNamesItsKinds() {
        #expect(!ArriwaSinks.sinkNames.isEmpty)
    }
}
