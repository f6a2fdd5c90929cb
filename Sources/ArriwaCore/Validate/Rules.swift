/// A validator rule: a stable id, its default severity, and text for docs and SARIF.
public struct Rule: Sendable, Hashable {
    public var id: String
    public var severity: Severity
    /// One line: what the rule finds.
    public var summary: String
    /// How to fix what it finds.
    public var help: String

    public init(_ id: String, _ severity: Severity, _ summary: String, help: String) {
        self.id = id
        self.severity = severity
        self.summary = summary
        self.help = help
    }
}

/// Every rule the loader and the validator can report. Ids are stable: CI configurations and
/// suppression comments name them.
public enum Rules {
    public static let all: [Rule] = [
        // YAML and schema
        Rule("yaml.syntax", .error, "The file is not well-formed YAML.",
             help: "Fix the YAML syntax at the position shown (indentation, quotes, colons)."),
        Rule("yaml.duplicate-key", .error, "A mapping has the same key twice.",
             help: "Remove or rename one of the keys; YAML keeps only one of them."),
        Rule("schema.unknown-key", .error, "A key that this place does not accept.",
             help: "Check the spelling against the node catalog in nodes/ or remove the key."),
        Rule("schema.type", .error, "A value of the wrong type (a list where a string is expected, ...).",
             help: "Write the value in the type the node catalog gives for this key."),
        Rule("schema.missing-key", .error, "A required key is missing.",
             help: "Add the key; nodes/ lists the required keys of each node type."),
        Rule("schema.invalid-value", .error, "A value outside its allowed set, range or format.",
             help: "Use one of the allowed values or formats named in the message."),
        Rule("hygiene.missing-header", .error, "A flow file lacks its header (flow, version, start).",
             help: "Start every *.flow.yaml with `flow: <name>`, `version: <semver>` and `start: <node id>`."),
        Rule("hygiene.inline-secret", .error, "A secret is written inline instead of as an environment variable reference.",
             help: "Put the secret in the environment and reference it with an `*_env` key (e.g. `access_token_env: WA_TOKEN`)."),
        // Graph
        Rule("graph.start-count", .error, "A flow must have exactly one start node, and `start:` must name it.",
             help: "Keep one node of type start and name it in the flow header's `start:`."),
        Rule("graph.duplicate-id", .error, "Two nodes share an id.",
             help: "Give every node of a flow a unique id."),
        Rule("graph.unknown-target", .error, "A successor names a node that does not exist.",
             help: "Point the edge at an existing node id of the same flow."),
        Rule("graph.unreachable", .warning, "A node cannot be reached from the start node.",
             help: "Connect the node or delete it."),
        Rule("graph.dead-end", .error, "A path stops at a node that is not end, handover or wait.",
             help: "Give the node a `next` (or outcome edges) leading to end, handover or a wait."),
        Rule("graph.condition-no-else", .error, "A condition node has no `else` branch.",
             help: "Add `else: <node id>` so every value of the condition leads somewhere."),
        Rule("graph.unbounded-cycle", .error, "A cycle runs without waiting for input and without a bounded counter.",
             help: "Put a wait in the cycle, or count iterations in a variable and leave the cycle when it reaches a limit."),
        Rule("graph.call-unknown-flow", .error, "A call node names a flow the tenant does not have.",
             help: "Name a flow declared in one of the tenant's *.flow.yaml files."),
        Rule("graph.call-recursion", .error, "Flows call each other in a cycle.",
             help: "Flows may call sub-flows but never themselves, directly or through others."),
        Rule("graph.call-outcome-unmapped", .error, "A called flow can end with an outcome the call node does not map.",
             help: "Map every outcome of the called flow's end nodes under `on:`, or add `default:`."),
        // Expressions
        Rule("expr.syntax", .error, "An expression or ${...} interpolation does not parse.",
             help: "Fix the expression syntax; docs/authoring.md lists operators and functions."),
        Rule("expr.undeclared", .error, "An expression reads a variable or path that is not declared.",
             help: "Declare the variable under `vars:` or fix the path (vars., session., message., manifest., tenant.)."),
        Rule("expr.type-mismatch", .error, "Operand or result types do not fit (number vs string, a non-boolean condition, ...).",
             help: "Compare values of the same type, or convert with int(), number() or string()."),
        Rule("expr.unknown-option", .error, "A string compared with a step's answer is not one of the step's option ids.",
             help: "Use an option id from manifest.yaml for that step."),
        Rule("expr.read-before-write", .error, "A variable without a default may be read before any node sets it.",
             help: "Give the variable a `default:` or set it on every path before it is read."),
        Rule("expr.constant-condition", .warning, "A condition is always true or always false.",
             help: "Compare against something that varies (a variable, the message, the session)."),
        Rule("expr.unknown-function", .error, "An expression calls a function that does not exist.",
             help: "Use a function from the list in docs/authoring.md."),
        Rule("expr.function-arguments", .error, "A function is called with the wrong number or types of arguments, or an invalid literal.",
             help: "Check the function's signature in docs/authoring.md."),
        // Manifest and tenant
        Rule("manifest.unknown-step", .error, "A reference names a step the manifest does not have.",
             help: "Use a step id from manifest.yaml (or `done` / `reject` as router targets)."),
        Rule("manifest.unreachable-step", .warning, "A manifest step cannot be reached from the first step.",
             help: "Route to the step from an earlier one, or remove it."),
        Rule("manifest.thresholds", .error, "Thresholds must satisfy 0 ≤ noise < valid ≤ 1.",
             help: "Defaults are valid 0.65 and noise 0.30."),
        Rule("manifest.reprompt-limit", .error, "More than 3 re-prompts per step without a stated reason.",
             help: "Keep re-prompts ≤ 3, or add `reason:` next to the override."),
        Rule("manifest.nudge-limit", .error, "More than 2 nudges per case without a stated reason.",
             help: "Keep nudges ≤ 2, or add `reason:` next to the override."),
        Rule("manifest.option-unrouted", .error, "An option has no route in the step's router and the router has no default.",
             help: "Add the option id to `next.routes` or give the router a `default:`."),
        Rule("manifest.missing-examples", .error, "A free-text step has no valid-answer examples.",
             help: "Add `examples:` with a few valid answers; the classifier and clarify texts use them."),
        // WhatsApp limits
        Rule("wa.buttons-count", .error, "Reply buttons must number 1 to 3.",
             help: "Use 1–3 buttons; for more choices use a list."),
        Rule("wa.button-title", .error, "A reply button title is longer than 20 characters or repeats another.",
             help: "Shorten the title to 20 characters and keep titles unique within the message."),
        Rule("wa.id-length", .error, "A button or row id is longer than 256 characters.",
             help: "Use a short, stable id."),
        Rule("wa.list-rows", .error, "A list has more than 10 rows in total (or none).",
             help: "Split the choices or reduce them to 10 rows."),
        Rule("wa.list-row-title", .error, "A list row title is longer than 24 characters.",
             help: "Shorten the row title to 24 characters; put detail in the description."),
        Rule("wa.list-row-description", .error, "A list row description is longer than 72 characters.",
             help: "Shorten the description to 72 characters."),
        Rule("wa.list-button", .error, "A list button label is longer than 20 characters.",
             help: "Shorten the list button label to 20 characters."),
        Rule("wa.body-length", .error, "An interactive message body is longer than 1024 characters.",
             help: "Shorten the body to 1024 characters."),
        Rule("wa.header-footer-length", .error, "An interactive header or footer is longer than 60 characters.",
             help: "Shorten header and footer to 60 characters."),
        Rule("wa.text-length", .error, "A text message can exceed 4096 characters after interpolation.",
             help: "Shorten the text or bound the interpolated values."),
        Rule("wa.buttons-need-list", .error, "More than 3 options must be sent as a list, not buttons.",
             help: "Change the step's kind to `list`."),
        Rule("wa.template-required", .error, "A send can run 24 h or more after the lead's last message and has no template.",
             help: "Add `template:` (an approved template) to the send or nudge; free-form messages fail outside the 24-hour window."),
        // Emissions
        Rule("emit.missing-key", .error, "An emit has no idempotency key.",
             help: "Add `key:` built from the session and the answer, e.g. \"${session.id}-q1-${hash(message.text)}\"."),
        Rule("emit.event-not-allowed", .error, "An event sent with action_source business_messaging is not in Meta's allowed list and not mapped to one.",
             help: "Map the event in tenant.yaml `conversions.event_names` to an allowed name (e.g. QualifiedLead); `Lead` is rejected by Meta."),
        Rule("emit.shared-dataset", .error, "The GOOD and NOISE streams share a dataset.",
             help: "Give NOISE its own dataset so noise never trains the ad optimisation."),
        Rule("emit.unknown-audience", .error, "An audience used in a flow or the manifest is not declared in tenant.yaml.",
             help: "Declare the audience under `audiences:` in tenant.yaml."),
        Rule("emit.unknown-crm-field", .error, "A CRM field used in a flow or the manifest is not declared in tenant.yaml.",
             help: "Declare the field under `crm.fields:` in tenant.yaml."),
        Rule("emit.unknown-crm-stage", .error, "An emit moves the CRM deal to a stage tenant.yaml does not declare.",
             help: "Use a stage name from `crm.stages:` in tenant.yaml (stage moves happen only by explicit rules)."),
        Rule("emit.unknown-sink", .error, "An emit names a sink the tenant does not configure.",
             help: "Use capi, audiences, crm or webhook, and configure it in tenant.yaml."),
        // Suppressions
        Rule("suppress.missing-reason", .error, "An `arriwa-ignore` comment does not give a reason.",
             help: "Write `# arriwa-ignore <rule-id>: <why this is fine>`."),
        Rule("suppress.unknown-rule", .warning, "An `arriwa-ignore` comment names a rule that does not exist.",
             help: "Use a rule id from docs/rules.md."),
    ]

    public static let byID: [String: Rule] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
}
