/// A lexical token of the expression language.
struct ExprToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// Integer literal magnitude; `9223372036854775808` is allowed so that `-9223372036854775808` parses.
        case int(UInt64)
        case number(Double)
        case string(String)
        case identifier(String)
        case trueKeyword, falseKeyword, nullKeyword, inKeyword
        case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
        case dot, comma, colon, question
        case plus, minus, star, slash, percent
        case bang, and, or
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case end
    }

    var kind: Kind
    var span: ExprSpan

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .int(let v): return "'\(v)'"
        case .number(let v): return "'\(v)'"
        case .string: return "string literal"
        case .identifier(let name): return "'\(name)'"
        case .trueKeyword: return "'true'"
        case .falseKeyword: return "'false'"
        case .nullKeyword: return "'null'"
        case .inKeyword: return "'in'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .dot: return "'.'"
        case .comma: return "','"
        case .colon: return "':'"
        case .question: return "'?'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .percent: return "'%'"
        case .bang: return "'!'"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .end: return "end of expression"
        }
    }
}
