import Foundation
import Yams

/// Parses YAML text into a positioned `YNode` tree, turning every libyaml and Yams error into a
/// diagnostic at its line and column.
public enum YAMLLoader {
    /// The root node of a single-document file, or the diagnostics that stopped it.
    public static func load(_ file: SourceFile) -> (root: YNode?, diagnostics: [Diagnostic]) {
        do {
            // The basic resolver: tags are never resolved by regex; YScalar types scalars itself.
            let parser = try Parser(yaml: file.text, resolver: .basic, constructor: .default)
            guard let root = try parser.singleRoot() else {
                return (nil, [Diagnostic(
                    rule: "schema.type", message: "the file is empty; expected a mapping",
                    at: SourceLocation(file: file.path, line: 1, column: 1))])
            }
            var diagnostics: [Diagnostic] = []
            let node = convert(root, file: file.path, depth: 0, diagnostics: &diagnostics)
            return (node, diagnostics)
        } catch let error as YamlError {
            return (nil, [diagnostic(for: error, in: file)])
        } catch {
            return (nil, [Diagnostic(
                rule: "yaml.syntax", message: "cannot parse YAML: \(error)",
                at: SourceLocation(file: file.path, line: 1, column: 1))])
        }
    }

    private static let maxDepth = 64

    private static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func convert(_ node: Node, file: String, depth: Int, diagnostics: inout [Diagnostic]) -> YNode {
        let here = location(node.mark, file)
        if depth > maxDepth {
            diagnostics.append(Diagnostic(rule: "schema.type", message: "nesting deeper than \(maxDepth) levels", at: here))
            return .scalar(YScalar(text: "", style: .plain, location: here))
        }
        switch node {
        case .scalar(let scalar):
            let style: YScalar.Style = switch scalar.style {
            case .singleQuoted: .singleQuoted
            case .doubleQuoted: .doubleQuoted
            case .literal: .literal
            case .folded: .folded
            default: .plain
            }
            return .scalar(YScalar(text: scalar.string, style: style, location: here))
        case .mapping(let mapping):
            var pairs: [YMapping.Pair] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let keyLocation = location(key.mark, file)
                guard case .scalar(let keyScalar) = key else {
                    diagnostics.append(Diagnostic(
                        rule: "schema.type", message: "mapping keys must be plain strings", at: keyLocation))
                    continue
                }
                pairs.append(YMapping.Pair(
                    key: YScalar(text: keyScalar.string, style: .plain, location: keyLocation),
                    value: convert(value, file: file, depth: depth + 1, diagnostics: &diagnostics)))
            }
            return .mapping(YMapping(pairs: pairs, location: here))
        case .sequence(let sequence):
            return .sequence(YSequence(
                items: sequence.map { convert($0, file: file, depth: depth + 1, diagnostics: &diagnostics) },
                location: here))
        case .alias(let alias):
            diagnostics.append(Diagnostic(
                rule: "schema.type",
                message: "YAML aliases (*\(alias.anchor.rawValue)) are not supported in Arriwa files",
                at: here, hint: "Write the value out in full."))
            return .scalar(YScalar(text: "", style: .plain, location: here))
        }
    }

    private static func diagnostic(for error: YamlError, in file: SourceFile) -> Diagnostic {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let second = secondOccurrence(of: key, after: first, in: file) ?? (line: first.line, column: first.column)
            return Diagnostic(
                rule: "yaml.duplicate-key",
                message: "duplicate key '\(key)' (first at line \(first.line), column \(first.column))",
                at: SourceLocation(file: file.path, line: second.line, column: second.column),
                length: key.count,
                hint: "Remove or rename one of the '\(key)' keys.")
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = problem
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return Diagnostic(
                rule: "yaml.syntax", message: message,
                at: SourceLocation(file: file.path, line: mark.line, column: mark.column))
        case .reader(let problem, _, let offset, _):
            return Diagnostic(
                rule: "yaml.syntax", message: "\(problem) at byte \(offset)",
                at: SourceLocation(file: file.path, line: 1, column: 1))
        default:
            return Diagnostic(
                rule: "yaml.syntax", message: "\(error)",
                at: SourceLocation(file: file.path, line: 1, column: 1))
        }
    }

    /// Yams reports a duplicate at the first key; the author wants the second one: the next
    /// place after the first where the same key stands as a key (`key:` at a line start, or
    /// after `{` or `,` in a flow mapping).
    private static func secondOccurrence(of key: String, after mark: Mark, in file: SourceFile) -> (line: Int, column: Int)? {
        let lines = file.lines
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let candidates = [key, "\"\(key)\"", "'\(key)'"].map { Array($0.unicodeScalars) }
        for index in (mark.line - 1)..<lines.count {
            let scalars = Array(lines[index].unicodeScalars)
            let from = index == mark.line - 1 ? mark.column : 0
            var column = from
            while column < scalars.count {
                let before: Unicode.Scalar? = column == 0 ? nil : scalars[column - 1]
                let startsKey = before == nil || before == " " || before == "{" || before == "," || before == "\t" || before == "-"
                if startsKey {
                    for candidate in candidates where column + candidate.count < scalars.count
                        && Array(scalars[column..<column + candidate.count]) == candidate {
                        var after = column + candidate.count
                        while after < scalars.count && scalars[after] == " " { after += 1 }
                        if after < scalars.count && scalars[after] == ":" { return (line: index + 1, column: column + 1) }
                    }
                }
                if scalars[column] == "#" && (before == nil || before == " ") { break }
                column += 1
            }
        }
        return nil
    }
}
