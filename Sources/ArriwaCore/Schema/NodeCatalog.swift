/// The node types a flow can use: their keys, outcomes and an example. `arriwa schema`
/// generates nodes/*.md and the JSON Schemas from this catalog, and the loader checks every
/// node against it.
public struct NodeTypeSpec: Sendable {
    public var name: String
    public var summary: String
    /// The object schema of the node (including `id`, `type`, `description`).
    public var schema: ObjectSchema
    /// Outcome edges: name and when it is taken.
    public var outcomes: [(name: String, summary: String)]
    /// True when a path may end at this node (end, handover, wait).
    public var isTerminalAllowed: Bool
    /// A complete YAML example of the node.
    public var example: String
}

public enum NodeCatalog {
    static func common(_ type: String) -> [Property] {
        [
            Property("id", .string(.identifier), required: true, "Unique id of the node within its flow."),
            Property("type", .string(.oneOf([type])), required: true, "The node type: `\(type)`."),
            Property("description", .string(.text), "Free text for readers and graph pictures."),
        ]
    }

    static let next = Property("next", .string(.identifier), "Id of the node that runs next (a path must go on to end, handover or a wait: rule graph.dead-end).")

    public static let templateSchema: Schema = .object(ObjectSchema("template", summary: "An approved WhatsApp template, used outside the 24-hour window.", [
        Property("name", .string(.identifier), required: true, "Template name as approved in WhatsApp Manager."),
        Property("language", .string(.text), required: true, "Template language code (e.g. en_US, ru)."),
        Property("params", .array(.string(.template)), "Body parameters in order; each may interpolate ${...}."),
    ]))

    static let sendSchema = ObjectSchema("wa.send node", summary: "Send a WhatsApp message.", common("wa.send") + [
        Property("text", .localizedText, "Message text (or the body of buttons/list). Per language or one text."),
        Property("step", .string(.template), "Send a manifest step's text with its options as buttons or a list: a step id or ${vars.step}."),
        Property("say", .string(.oneOf(["question", "clarify", "reprompt"])), default: "question", "With `step`: which of the step's texts to send."),
        Property("buttons", .array(.object(ObjectSchema("button", [
            Property("id", .string(.text), required: true, "Reply id the lead's tap returns (≤ 256 characters)."),
            Property("title", .localizedText, required: true, "Button title (≤ 20 characters)."),
        ]))), "Reply buttons (1–3)."),
        Property("list", .object(ObjectSchema("list", [
            Property("button", .localizedText, required: true, "Label of the button that opens the list (≤ 20 characters)."),
            Property("sections", .array(.object(ObjectSchema("list section", [
                Property("title", .localizedText, "Section title (≤ 24 characters)."),
                Property("rows", .array(.object(ObjectSchema("list row", [
                    Property("id", .string(.text), required: true, "Reply id (≤ 256 characters)."),
                    Property("title", .localizedText, required: true, "Row title (≤ 24 characters)."),
                    Property("description", .localizedText, "Row description (≤ 72 characters)."),
                ]))), required: true, "Rows (≤ 10 in total across sections)."),
            ]))), required: true, "List sections."),
        ])), "An interactive list."),
        Property("header", .localizedText, "Interactive header (≤ 60 characters)."),
        Property("footer", .localizedText, "Interactive footer (≤ 60 characters)."),
        Property("template", templateSchema, "Template sent instead when the 24-hour window is closed."),
        next,
    ])

    static let nudgeSchema: Schema = .object(ObjectSchema("nudge", [
        Property("after", .string(.duration), required: true, "Delay after the trigger."),
        Property("when", .string(.oneOf(["sent", "delivered", "read", "abandoned"])), default: "delivered",
                 "Trigger: the last bot message delivered but unread, read without reply, or the step abandoned."),
        Property("text", .localizedText, "Nudge text (inside the 24-hour window)."),
        Property("template", templateSchema, "Template for the nudge outside the 24-hour window."),
    ]))

    static let audienceMoves: Schema = .object(ObjectSchema("audience moves", [
        Property("add", .array(.string(.identifier)), "Audiences to add the lead to (declared in tenant.yaml)."),
        Property("remove", .array(.string(.identifier)), "Audiences to remove the lead from."),
    ]))

    static let crmUpdate: Schema = .object(ObjectSchema("crm update", [
        Property("fields", .map(key: .identifier, value: .string(.template)), "Custom fields to upsert (declared in tenant.yaml crm.fields)."),
        Property("tags", .array(.string(.text)), "Tags to add, e.g. trash|noise."),
        Property("note", .string(.template), "A note on the lead."),
        Property("stage", .string(.text), "Move the deal to this stage (explicit stage moves only)."),
    ]))

    public static let all: [NodeTypeSpec] = [
        NodeTypeSpec(
            name: "start", summary: "Where a flow begins. Exactly one per flow; the header's `start:` names it.",
            schema: ObjectSchema("start node", common("start") + [next]),
            outcomes: [("next", "always")], isTerminalAllowed: false,
            example: """
            - id: begin
              type: start
              next: greet
            """),
        NodeTypeSpec(
            name: "condition", summary: "Branch on boolean expressions: the first `when` that is true wins, else `else`.",
            schema: ObjectSchema("condition node", common("condition") + [
                Property("branches", .array(.object(ObjectSchema("branch", [
                    Property("when", .string(.expression), required: true, "Boolean expression."),
                    Property("next", .string(.identifier), required: true, "Node to run when `when` is true."),
                ])), minItems: 1), required: true, "Branches, tried in order."),
                Property("else", .string(.identifier), "Node to run when no branch matches. Required by the validator."),
            ]),
            outcomes: [("branches[n].next", "the n-th `when` is the first that is true"), ("else", "no `when` is true")],
            isTerminalAllowed: false,
            example: """
            - id: too_many_retries
              type: condition
              branches:
                - when: vars.retries >= tenant.limits.reprompts
                  next: escalate
              else: reprompt
            """),
        NodeTypeSpec(
            name: "llm.classify",
            summary: "Classify the lead's answer to a manifest step: rules first (reply ids, titles, synonyms, numbers, patterns), the LLM only when the rules are not confident. The result is `message.classification` (validity, confidence, answer, quality_score) and the outcome follows the tenant's thresholds.",
            schema: ObjectSchema("llm.classify node", common("llm.classify") + [
                Property("step", .string(.template), required: true, "The manifest step answered: a step id or ${vars.step}."),
                Property("input", .string(.expression), default: "message.text", "What to classify."),
                Property("mode", .string(.oneOf(["auto", "rules", "llm"])), default: "auto", "auto: rules, then the LLM when rules are not confident."),
                Property("on", .object(ObjectSchema("classify outcomes", [
                    Property("valid", .string(.identifier), required: true, "confidence ≥ valid threshold."),
                    Property("ambiguous", .string(.identifier), required: true, "noise ≤ confidence < valid."),
                    Property("noise", .string(.identifier), required: true, "confidence < noise threshold."),
                    Property("offscript", .string(.identifier), "The lead asked something off-script."),
                    Property("error", .string(.identifier), "Every classifier failed (defaults to `ambiguous`)."),
                ])), required: true, "Outcome edges."),
            ]),
            outcomes: [("valid", "confidence ≥ tenant.thresholds.valid"), ("ambiguous", "between the thresholds"),
                       ("noise", "confidence < tenant.thresholds.noise"), ("offscript", "an off-script question (optional)"),
                       ("error", "classifiers failed (optional)")],
            isTerminalAllowed: false,
            example: """
            - id: classify
              type: llm.classify
              step: ${vars.step}
              on:
                valid: record
                ambiguous: clarify
                noise: reprompt
            """),
        NodeTypeSpec(
            name: "wa.send",
            summary: "Send a WhatsApp message: text, reply buttons, a list, or a manifest step's question with its options. Outside the 24-hour window the `template` is sent instead.",
            schema: sendSchema,
            outcomes: [("next", "after the send is queued")], isTerminalAllowed: false,
            example: """
            - id: ask
              type: wa.send
              step: ${vars.step}
              say: question
              template: { name: qualification_resume, language: en }
              next: wait_answer
            """),
        NodeTypeSpec(
            name: "emit",
            summary: "Queue a conversion event for sinks (Meta CAPI, audiences, CRM, webhook) through the outbox, exactly once per idempotency key. With `step:` it records the answer to that manifest step (its event, audience segments and CRM field).",
            schema: ObjectSchema("emit node", common("emit") + [
                Property("event", .string(.template), "Event name (e.g. QUALIFY_COMPLETE, Purchase)."),
                Property("step", .string(.template), "Record the answer to this manifest step: its event, segments and CRM field."),
                Property("stream", .string(.oneOf(["GOOD", "NOISE"])), default: "GOOD", "GOOD or NOISE: separate datasets."),
                Property("to", .array(.string(.oneOf(["capi", "audiences", "crm", "webhook"]))), default: "[capi]", "Sinks."),
                Property("key", .string(.template), "Idempotency key, unique per action. Required by the validator."),
                Property("value", .string(.expression), "Monetary value (Purchase)."),
                Property("currency", .string(.text), "ISO currency code."),
                Property("data", .map(key: .identifier, value: .string(.template)), "custom_data fields."),
                Property("audiences", audienceMoves, "Audience moves."),
                Property("crm", crmUpdate, "CRM update."),
                next,
            ]),
            outcomes: [("next", "after the event is queued")], isTerminalAllowed: false,
            example: """
            - id: record
              type: emit
              step: ${vars.step}
              stream: GOOD
              to: [capi, audiences, crm]
              key: ${session.id}-${lower(vars.step)}-${hash(message.text)}
              next: advance
            """),
        NodeTypeSpec(
            name: "wait",
            summary: "Pause until the lead writes (`for: message`), an external event arrives (`for: event`), or time passes (`for: time`). Nudges fire from delivery statuses while waiting; never after opt-out, while snoozed or while a human is active.",
            schema: ObjectSchema("wait node", common("wait") + [
                Property("for", .string(.oneOf(["message", "event", "time"])), default: "message", "What to wait for."),
                Property("event", .string(.identifier), "With `for: event`: the event name (e.g. payment.completed)."),
                Property("timeout", .string(.duration), "Give up after this long (`for: time`: how long to wait)."),
                Property("nudges", .array(nudgeSchema), "Reminders while waiting (at most 2 per case unless overridden)."),
                Property("max_nudges", .integer(min: 0), "Override of the nudge limit (needs `reason`)."),
                Property("reason", .string(.text), "Why a limit is overridden."),
                Property("on", .object(ObjectSchema("wait outcomes", [
                    Property("message", .string(.identifier), "The lead wrote."),
                    Property("event", .string(.identifier), "The awaited event arrived."),
                    Property("timeout", .string(.identifier), "The timeout passed."),
                ])), required: true, "Outcome edges."),
            ]),
            outcomes: [("message", "an inbound message"), ("event", "the external event"), ("timeout", "the timeout passed")],
            isTerminalAllowed: true,
            example: """
            - id: wait_answer
              type: wait
              for: message
              timeout: 30m
              nudges:
                - after: 15m
                  when: delivered
                  text: { en: "Still there? Just tap an answer above." }
              on:
                message: classify
                timeout: abandoned
            """),
        NodeTypeSpec(
            name: "set",
            summary: "Assign variables from expressions (`vars.retries + 1`). String literals in expressions are quoted: `'Q1'`.",
            schema: ObjectSchema("set node", common("set") + [
                Property("vars", .map(key: .identifier, value: .oneOf([.string(.expression), .number(), .boolean])), required: true,
                         "Variable name → expression."),
                next,
            ]),
            outcomes: [("next", "always")], isTerminalAllowed: false,
            example: """
            - id: count_retry
              type: set
              vars:
                retries: vars.retries + 1
              next: too_many_retries
            """),
        NodeTypeSpec(
            name: "end",
            summary: "End the flow with an outcome. A calling flow continues at the call node's edge for that outcome.",
            schema: ObjectSchema("end node", common("end") + [
                Property("outcome", .string(.identifier), default: "done", "Outcome name seen by the calling flow."),
            ]),
            outcomes: [], isTerminalAllowed: true,
            example: """
            - id: qualified
              type: end
              outcome: qualified
            """),
        NodeTypeSpec(
            name: "call",
            summary: "Run another flow of the tenant (e.g. the qualification loop) and continue by the outcome it ended with.",
            schema: ObjectSchema("call node", common("call") + [
                Property("flow", .string(.identifier), required: true, "Name of the flow to run."),
                Property("on", .map(key: .identifier, value: .string(.identifier)), "Outcome of the called flow → next node."),
                Property("default", .string(.identifier), "Next node for outcomes not listed under `on`."),
            ]),
            outcomes: [("on.<outcome>", "the called flow ended with <outcome>"), ("default", "any other outcome")],
            isTerminalAllowed: false,
            example: """
            - id: qualify
              type: call
              flow: qualification
              on:
                qualified: complete
                rejected: rejected
                escalated: human
            """),
        NodeTypeSpec(
            name: "handover",
            summary: "Hand the conversation to a human through the tenant's handover adapter, with a context summary. The bot stays silent until the operator closes or auto_return_hours pass; then it resumes at `next` if given.",
            schema: ObjectSchema("handover node", common("handover") + [
                Property("reason", .string(.template), "Why: shown to the operator."),
                Property("message", .localizedText, "Sent to the lead (e.g. connecting an operator)."),
                Property("next", .string(.identifier), "Where the bot resumes when the operator hands back."),
            ]),
            outcomes: [("next", "the operator handed the conversation back (optional)")], isTerminalAllowed: true,
            example: """
            - id: human
              type: handover
              reason: Lead asked for a person
              message: { en: "Connecting you with a coordinator…" }
            """),
    ]

    public static let typeNames: [String] = all.map(\.name)
    private static let byName: [String: NodeTypeSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    public static func spec(for type: String) -> NodeTypeSpec? { byName[type] }
}
