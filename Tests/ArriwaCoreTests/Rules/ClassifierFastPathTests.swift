import Foundation
import Testing

@testable import ArriwaCore

/// The classifier's byte-level fast paths answer exactly as the general code they stand in for.
@Suite struct ClassifierFastPathTests {
    static let patterns = [
        #"^[\p{L} .,'-]{2,60}$"#, "^[a-z0-9]{3}$", "^[A-Za-z]+$", "^[0-9 ]*$", #"^[\p{L}\-.]{1,5}$"#, "^[a-c]{2,}$",
        "^[xyz]$", #"^[a-z\.\-]{1,3}$"#, #"^[0-9\]]+$"#,
    ]

    static let inputs = [
        "", "a", "ab", "Moscow", "Moscow, Khamovniki", "St. Petersburg", "O'Brien", "x-y", "near Tverskaya",
        "Moscow1", "hello world!", "abc", "ABC", "12 34", "123", "abcd", "x", "xy", "what?", "a.b.c", "-",
        String(repeating: "a", count: 60), String(repeating: "a", count: 61), "tab\there", "Москва", "Café",
        "line\nbreak", "cab", "a b", "a.-", "-a", "1]2", "]]", "a\\b",
    ]

    @Test func anchoredClassesMatchAsTheRegexDoes() throws {
        for source in Self.patterns {
            let pattern = try #require(StepPattern(source))
            #expect(pattern.anchoredClass != nil, "\(source) should take the fast path")
            let regex = try Regex(source)
            for input in Self.inputs {
                let expected = (try? regex.firstMatch(in: input)) != nil
                #expect(pattern.matches(input) == expected, "\(source) on \(input.debugDescription)")
            }
        }
    }

    @Test func otherPatternsGoToTheRegex() {
        for source in ["^[^a-z]+$", "[a-z]+", "^[a-z]+", "^(ab)+$", #"^[\w]+$"#, "^[a&&b]+$", "^[a-z]{,3}$", "^[z-a]$"] {
            #expect(AnchoredClassPattern(source) == nil, "\(source)")
        }
    }

    @Test func asciiNumbersParseAsTheCharacterParserDoes() {
        let inputs = [
            "2000", "$1,500", "2 000", "about 3k", "1.5k", "2 million", "5m", "5mi", "3 months", "1,5", "12,345,678",
            "no number", "1'000'000", "7 K", "10 Thousand", "3MO", "1,23", "1,2345", "0", "x9y", "1 000 000 usd",
            "1.2.3", "budget: 2000$", "  42  ", "4k5", "10 mln", "3 m", "2 Mo", "1,000.50",
        ]
        for input in inputs {
            #expect(NumberParser.firstNumberASCII(in: input) != nil, "\(input) is ASCII")
            #expect(NumberParser.firstNumber(in: input) == NumberParser.firstNumberCharacters(in: input), "\(input)")
        }
        #expect(NumberParser.firstNumberASCII(in: "3 тысячи") == nil)
        #expect(NumberParser.firstNumber(in: "3 тысячи") == 3_000)
    }

    @Test func questionMarks() {
        for text in ["why?", "no", "", "¿qué?", "что?", "ok"] {
            #expect(containsQuestionMark(text) == text.contains("?"), "\(text)")
        }
    }
}
