extension TypeChecker {
    func inferCall(
        name: String, arguments: [Expr], receiverStyle: Bool, span: ExprSpan, _ issues: inout [ExprIssue]
    ) -> ExprType {
        guard let builtin = ExprBuiltin(rawValue: name) else {
            let suggestion = ExprFunctions.aliases[name] ?? ExprSuggestion.closest(to: name, in: ExprFunctions.names)
            issues.append(ExprIssue(
                code: .unknownFunction, message: "unknown function '\(name)'", span: span,
                hint: suggestion.map { "did you mean '\($0)'?" }))
            for argument in arguments { _ = infer(argument, &issues) }
            return .any
        }
        if receiverStyle && !builtin.allowsReceiver {
            issues.append(ExprIssue(
                code: .functionArguments, message: "\(name)() cannot be called as a method", span: span,
                hint: "write \(name)(x) instead of x.\(name)()"))
        }
        guard builtin.arity.contains(arguments.count) else {
            let expected = builtin.arity.lowerBound
            issues.append(ExprIssue(
                code: .functionArguments,
                message: "\(name)() takes \(expected) argument\(expected == 1 ? "" : "s"), got \(arguments.count)",
                span: span, hint: builtin.signature))
            for argument in arguments { _ = infer(argument, &issues) }
            return .any
        }
        if builtin == .has {
            guard let path = arguments[0].staticPath else {
                issues.append(ExprIssue(
                    code: .functionArguments, message: "has() needs a path such as has(vars.email)",
                    span: arguments[0].span))
                _ = infer(arguments[0], &issues)
                return .bool
            }
            _ = resolve(path, span: arguments[0].span, &issues)
            return .bool
        }
        let types = arguments.map { infer($0, &issues) }
        var call = ExprCallCheck(builtin: builtin, arguments: arguments, types: types)
        let result = call.resultType()
        issues += call.issues
        return result
    }
}
