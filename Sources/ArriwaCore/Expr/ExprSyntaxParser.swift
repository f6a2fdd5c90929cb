/// Recursive-descent / precedence-climbing parser over a character array. Works on a whole
/// expression, or from an offset inside a template up to the `}` closing an interpolation.
struct ExprSyntaxParser {
    /// Maximum nesting: both the parser's recursion (parentheses, brackets, unary operators, calls)
    /// and the depth of the resulting tree (long operator chains) are bounded by it.
    static let maxDepth = 64
    /// Maximum length of one expression, in characters.
    static let maxLength = 4096

    typealias Node = (expr: Expr, depth: Int)

    private var lexer: ExprLexer
    private(set) var current: ExprToken
    private var nesting = 0

    init(chars: [Character], position: Int = 0) throws(ExprError) {
        lexer = ExprLexer(chars: chars, position: position)
        current = try lexer.next()
    }

    @discardableResult
    private mutating func advance() throws(ExprError) -> ExprToken {
        let token = current
        current = try lexer.next()
        return token
    }

    private mutating func enter(_ span: ExprSpan) throws(ExprError) {
        nesting += 1
        if nesting > Self.maxDepth {
            throw Self.tooDeep(span)
        }
    }

    private mutating func leave() { nesting -= 1 }

    private static func tooDeep(_ span: ExprSpan) -> ExprError {
        ExprError(message: "expression nests too deeply (maximum depth is \(maxDepth))", span: span)
    }

    private func node(_ expr: Expr, children: [Node]) throws(ExprError) -> Node {
        let depth = (children.map(\.depth).max() ?? 0) + 1
        if depth > Self.maxDepth { throw Self.tooDeep(expr.span) }
        return (expr, depth)
    }

    // MARK: - Grammar

    /// expression := or ('?' expression ':' expression)?
    mutating func parseExpression() throws(ExprError) -> Node {
        try enter(current.span)
        defer { leave() }
        let condition = try parseBinary(minPrecedence: 1)
        guard current.kind == .question else { return condition }
        return try parseConditional(condition)
    }

    private mutating func parseConditional(_ condition: Node) throws(ExprError) -> Node {
        let question = try advance()
        let then = try parseExpression()
        guard current.kind == .colon else {
            throw ExprError(
                message: "expected ':' in conditional started by '?' at \(question.span.offset), found \(current.display)",
                span: current.span)
        }
        try advance()
        let otherwise = try parseExpression()
        let span = condition.expr.span.union(otherwise.expr.span)
        return try node(.conditional(condition.expr, then.expr, otherwise.expr, span), children: [condition, then, otherwise])
    }

    private static func binaryOperator(_ kind: ExprToken.Kind) -> Expr.BinaryOperator? {
        switch kind {
        case .or: return .or
        case .and: return .and
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessEqual: return .lessEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterEqual
        case .inKeyword: return .in
        case .plus: return .add
        case .minus: return .subtract
        case .star: return .multiply
        case .slash: return .divide
        case .percent: return .remainder
        default: return nil
        }
    }

    /// Left-associative binary operators by precedence climbing.
    private mutating func parseBinary(minPrecedence: Int) throws(ExprError) -> Node {
        var lhs = try parseUnary()
        while let op = Self.binaryOperator(current.kind), op.precedence >= minPrecedence {
            try advance()
            let rhs = try parseBinary(minPrecedence: op.precedence + 1)
            lhs = try binaryNode(op, lhs, rhs)
        }
        return lhs
    }

    private func binaryNode(_ op: Expr.BinaryOperator, _ lhs: Node, _ rhs: Node) throws(ExprError) -> Node {
        let span = lhs.expr.span.union(rhs.expr.span)
        return try node(.binary(op, lhs.expr, rhs.expr, span), children: [lhs, rhs])
    }

    private mutating func parseUnary() throws(ExprError) -> Node {
        switch current.kind {
        case .bang: return try parseUnaryOperator(.not)
        case .minus: return try parseUnaryOperator(.negate)
        default: return try parsePostfix()
        }
    }

    private mutating func parseUnaryOperator(_ op: Expr.UnaryOperator) throws(ExprError) -> Node {
        let opToken = try advance()
        // `-9223372036854775808` is the only way to write Int64.min.
        if op == .negate, case .int(let magnitude) = current.kind, magnitude == UInt64(Int64.max) + 1 {
            let literal = try advance()
            return (.literal(.int(Int64.min), opToken.span.union(literal.span)), 1)
        }
        try enter(opToken.span)
        defer { leave() }
        let operand = try parseUnary()
        return try node(.unary(op, operand.expr, opToken.span.union(operand.expr.span)), children: [operand])
    }

    /// Primary followed by `.name`, `.name(...)` and `[index]` suffixes. The work of each suffix is
    /// in its own function so that the frames on the recursion path stay small (debug builds give
    /// every temporary of a function its own stack slot).
    private mutating func parsePostfix() throws(ExprError) -> Node {
        var base = try parsePrimary()
        while true {
            switch current.kind {
            case .dot: base = try parseMemberSuffix(base)
            case .leftBracket: base = try parseIndexSuffix(base)
            case .leftParen:
                throw ExprError(message: "only named functions can be called, e.g. size(x) or x.size()", span: current.span)
            default: return base
            }
        }
    }

    private mutating func parseMemberSuffix(_ base: Node) throws(ExprError) -> Node {
        try advance()
        let nameToken = current
        let name: String
        switch nameToken.kind {
        case .identifier(let identifier): name = identifier
        case .trueKeyword: name = "true"
        case .falseKeyword: name = "false"
        case .nullKeyword: name = "null"
        case .inKeyword: name = "in"
        default:
            throw ExprError(message: "expected a field name after '.', found \(nameToken.display)", span: nameToken.span)
        }
        try advance()
        guard current.kind == .leftParen else {
            return try node(.member(base.expr, name: name, base.expr.span.union(nameToken.span)), children: [base])
        }
        let (arguments, close) = try parseArguments(function: name)
        let span = base.expr.span.union(close)
        return try node(
            .call(name: name, arguments: [base.expr] + arguments.map(\.expr), receiverStyle: true, span),
            children: [base] + arguments)
    }

    private mutating func parseIndexSuffix(_ base: Node) throws(ExprError) -> Node {
        let open = try advance()
        let index = try parseExpression()
        let close = try expect(.rightBracket, closing: "'['", at: open.span)
        return try node(.index(base.expr, index.expr, base.expr.span.union(close)), children: [base, index])
    }

    private mutating func expect(_ kind: ExprToken.Kind, closing what: String, at open: ExprSpan) throws(ExprError) -> ExprSpan {
        guard current.kind == kind else {
            let closer = ExprToken(kind: kind, span: open).display
            throw ExprError(
                message: "expected \(closer) to close \(what) at \(open.offset), found \(current.display)",
                span: current.span)
        }
        return try advance().span
    }

    /// `(` arguments `)`; returns the arguments and the span of `)`.
    private mutating func parseArguments(function: String) throws(ExprError) -> ([Node], ExprSpan) {
        let open = try advance()
        var arguments: [Node] = []
        if current.kind == .rightParen { return (arguments, try advance().span) }
        while true {
            arguments.append(try parseExpression())
            if current.kind == .comma {
                try advance()
                continue
            }
            return (arguments, try expect(.rightParen, closing: "'(' of \(function)(...)", at: open.span))
        }
    }

    private mutating func parsePrimary() throws(ExprError) -> Node {
        switch current.kind {
        case .identifier: return try parseIdentifier()
        case .leftParen: return try parseParenthesized()
        case .leftBracket: return try parseList()
        case .leftBrace: return try parseMap()
        default: return try parseLiteral()
        }
    }

    private mutating func parseLiteral() throws(ExprError) -> Node {
        let token = current
        let literal: Expr.Literal
        switch token.kind {
        case .int(let magnitude):
            guard let value = Int64(exactly: magnitude) else {
                throw ExprError(message: "integer '\(magnitude)' is out of range", span: token.span)
            }
            literal = .int(value)
        case .number(let value): literal = .number(value)
        case .string(let value): literal = .string(value)
        case .trueKeyword: literal = .bool(true)
        case .falseKeyword: literal = .bool(false)
        case .nullKeyword: literal = .null
        case .end:
            throw ExprError(message: "unexpected end of expression", span: token.span)
        default:
            throw ExprError(message: "expected an expression, found \(token.display)", span: token.span)
        }
        try advance()
        return (.literal(literal, token.span), 1)
    }

    private mutating func parseIdentifier() throws(ExprError) -> Node {
        let token = try advance()
        guard case .identifier(let name) = token.kind else {
            throw ExprError(message: "expected a name, found \(token.display)", span: token.span)
        }
        guard current.kind == .leftParen else { return (.identifier(name, token.span), 1) }
        let (arguments, close) = try parseArguments(function: name)
        return try node(
            .call(name: name, arguments: arguments.map(\.expr), receiverStyle: false, token.span.union(close)),
            children: arguments)
    }

    private mutating func parseParenthesized() throws(ExprError) -> Node {
        let open = try advance()
        let inner = try parseExpression()
        _ = try expect(.rightParen, closing: "'('", at: open.span)
        return inner
    }

    private mutating func parseList() throws(ExprError) -> Node {
        let open = try advance()
        var elements: [Node] = []
        while current.kind != .rightBracket {
            elements.append(try parseExpression())
            guard current.kind == .comma else { break }
            try advance()
        }
        let close = try expect(.rightBracket, closing: "'['", at: open.span)
        return try node(.list(elements.map(\.expr), open.span.union(close)), children: elements)
    }

    private mutating func parseMap() throws(ExprError) -> Node {
        let open = try advance()
        var entries: [Expr.MapEntry] = []
        var children: [Node] = []
        while current.kind != .rightBrace {
            let key = try parseExpression()
            guard current.kind == .colon else {
                throw ExprError(message: "expected ':' after map key, found \(current.display)", span: current.span)
            }
            try advance()
            let value = try parseExpression()
            entries.append(Expr.MapEntry(key: key.expr, value: value.expr))
            children += [key, value]
            guard current.kind == .comma else { break }
            try advance()
        }
        let close = try expect(.rightBrace, closing: "'{'", at: open.span)
        return try node(.map(entries, open.span.union(close)), children: children)
    }
}
