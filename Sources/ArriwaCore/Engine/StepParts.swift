/// What a manifest step's sends and emissions would otherwise build on every turn, built once at
/// `Program.compile`: an emission's audiences per chosen option, and the option rows of a buttons
/// or list question per language (when the titles are plain text, as they almost always are).
struct StepParts: Sendable {
    /// A buttons / list step's options as message rows in one language.
    struct Choices: Sendable {
        /// `.buttons` content (up to three buttons), else nil.
        let buttons: [MessageContent.Button]?
        /// `.list` content: one untitled section of every option, and the list's button text.
        let sections: [MessageContent.Section]
        let listButton: String
    }

    /// By option index, the last entry for an answer that is no option: the step's audience, then
    /// the option's segments — an emission's `audiencesAdd` when its node adds none of its own.
    let audiences: [[String]]
    /// Choices per language named by any title, description or list button; `otherChoices` for
    /// every other language (they all read the same variants). Empty / nil: not prebuilt.
    let choices: [(language: String, choices: Choices)]
    let otherChoices: Choices?
    /// For a step with a `crm_field`, by language (as `choices`, `otherFields` for the rest) and
    /// option index: an emission's CRM fields when the answer is that option — the field set to
    /// the option's title in the language as literal text, else its id. Empty: none.
    let fields: [(language: String, byOption: [[String: String]])]
    let otherFields: [[String: String]]

    init(kind: String, options: [CompiledStep.Option], audience: String?, listButton: LocalizedTemplate?, crmField: String?) {
        let head = audience.map { [$0] } ?? []
        audiences = options.map { head + $0.segments } + [head]
        (fields, otherFields) = Self.fields(crmField, options: options)
        guard !options.isEmpty, kind == "buttons" || kind == "list" else {
            choices = []
            otherChoices = nil
            return
        }
        var languages: [String] = []
        var texts: [LocalizedTemplate] = listButton.map { [$0] } ?? []
        for option in options {
            if let titles = option.titles { texts.append(titles) }
            if let description = option.description { texts.append(description) }
        }
        for text in texts {
            for variant in text.variants {
                if let language = variant.language, !languages.contains(language) { languages.append(language) }
            }
        }
        var choices: [(language: String, choices: Choices)] = []
        for language in languages {
            guard let built = Self.choices(kind: kind, options: options, listButton: listButton, language: language) else {
                self.choices = []
                otherChoices = nil
                return
            }
            choices.append((language, built))
        }
        // A name no variant uses: what every language without its own variants reads.
        let other = Self.choices(kind: kind, options: options, listButton: listButton, language: "\u{0}")
        guard let other else {
            self.choices = []
            otherChoices = nil
            return
        }
        self.choices = choices
        otherChoices = other
    }

    /// The prebuilt CRM fields for `language` by option index, or nil (the step has no `crm_field`).
    func fields(for language: String) -> [[String: String]]? {
        if otherFields.isEmpty { return nil }
        for i in fields.indices where fields[i].language == language { return fields[i].byOption }
        return otherFields
    }

    private static func fields(_ crmField: String?, options: [CompiledStep.Option])
        -> (fields: [(language: String, byOption: [[String: String]])], other: [[String: String]]) {
        guard let crmField, !options.isEmpty else { return ([], []) }
        var languages: [String] = []
        for option in options {
            for variant in option.titles?.variants ?? [] {
                if let language = variant.language, !languages.contains(language) { languages.append(language) }
            }
        }
        // What `Turn.emitNode` writes for an answer that is option `option` in `language`.
        func byOption(_ language: String) -> [[String: String]] {
            options.map { option in
                [crmField: option.titles?.template(for: language).map { Turn.literalText($0) } ?? option.id]
            }
        }
        return (languages.map { ($0, byOption($0)) }, byOption("\u{0}"))
    }

    /// The prebuilt choices for `language`, or nil (render them).
    func choices(for language: String) -> Choices? {
        for i in choices.indices where choices[i].language == language { return choices[i].choices }
        return otherChoices
    }

    /// The rows `Turn.freeForm` renders for `language`, or nil when a text interpolates.
    private static func choices(kind: String, options: [CompiledStep.Option], listButton: LocalizedTemplate?,
                                language: String) -> Choices? {
        var rows: [MessageContent.Row] = []
        for option in options {
            var title = option.id
            if let titles = option.titles {
                guard let text = plain(titles, language) else { return nil }
                title = text
            }
            var description: String?
            if let text = option.description {
                guard let plain = plain(text, language) else { return nil }
                description = plain
            }
            rows.append(MessageContent.Row(id: option.id, title: title, description: description))
        }
        var button = "Choose"
        if let listButton {
            guard let text = plain(listButton, language) else { return nil }
            button = text
        }
        let buttons = kind == "buttons" && rows.count <= 3 ? rows.map { MessageContent.Button(id: $0.id, title: $0.title) } : nil
        return Choices(buttons: buttons, sections: [MessageContent.Section(title: nil, rows: rows)], listButton: button)
    }

    /// What `Turn.renderLocalized` gives for a text without interpolations; nil if it has any.
    private static func plain(_ text: LocalizedTemplate, _ language: String) -> String? {
        guard let template = text.template(for: language) else { return "" }
        if template.parts.isEmpty { return "" }
        if template.parts.count == 1, case .literal(let literal) = template.parts[0] { return literal }
        return nil
    }
}
