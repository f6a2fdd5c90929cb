import Testing
@testable import ArriwaChannels

@Suite struct ArriwaChannelsModuleTests {
    @Test func moduleNamesItsKinds() {
        #expect(!ArriwaChannels.providerKinds.isEmpty)
    }
}
