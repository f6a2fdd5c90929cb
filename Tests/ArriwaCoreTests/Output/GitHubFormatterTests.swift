import Testing
@testable import ArriwaCore

@Suite struct GitHubFormatterTests {
    @Test func exactOutput() {
        #expect(GitHubFormatter().format(OutputFixture.report) == """
            ::warning file=acme/main.flow.yaml,line=3,col=8,endColumn=10,title=graph.unreachable::node 'ab' is unreachable
            ::error file=acme/tenant.yaml,line=3,col=1,endColumn=8,title=schema.unknown-key::unknown key 'provder' in tenant.yaml%0Ahint: did you mean 'provider'?
            ::notice file=x%3Ay/odd%2Cname.flow.yaml,line=7,col=2,endColumn=3,title=expr.constant-condition::50%25 of 'a,b'%0Asecond line
            1 error, 1 warning, 1 note in 2 files (1 tenant)

            """)
    }

    @Test func cleanReportIsOnlyTheSummary() {
        #expect(GitHubFormatter().format(OutputFixture.clean) == "✓ no problems in 2 files (1 tenant)\n")
    }

    @Test func escaping() {
        #expect(GitHubFormatter.escapeData("100%\r\nnext: a,b") == "100%25%0D%0Anext: a,b")
        #expect(GitHubFormatter.escapeProperty("100%\r\nnext: a,b") == "100%25%0D%0Anext%3A a%2Cb")
        #expect(GitHubFormatter.escapeData("%0A") == "%250A")
        #expect(GitHubFormatter.escapeProperty("plain/path.yaml") == "plain/path.yaml")
    }
}
