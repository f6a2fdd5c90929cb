import ArriwaCore

/// WhatsApp's message limits (FACTS.md §2, Meta "Text messages", "Interactive reply buttons",
/// "Interactive list messages"). Checked before a send so a bad message fails with the field named
/// instead of a provider error code.
public enum WhatsAppLimits {
    public static let textBody = 4096
    public static let maxButtons = 3
    public static let buttonID = 256
    public static let buttonTitle = 20
    public static let interactiveBody = 1024
    public static let footer = 60
    public static let headerText = 60
    public static let listButton = 20
    public static let maxSections = 10
    public static let maxRows = 10
    public static let sectionTitle = 24
    public static let rowID = 200
    public static let rowTitle = 24
    public static let rowDescription = 72

    static func check(_ text: String, max: Int, field: String, required: Bool = false) throws(SendFailure) {
        if required, text.isEmpty { throw .invalidContent(field: field, detail: "is empty") }
        if text.count > max { throw .invalidContent(field: field, detail: "has \(text.count) characters (at most \(max))") }
    }

    static func checkButtons(body: String, buttons: [MessageContent.Button], header: String?, footer: String?) throws(SendFailure) {
        try check(body, max: interactiveBody, field: "interactive.body.text", required: true)
        if let header { try check(header, max: headerText, field: "interactive.header.text") }
        if let footer { try check(footer, max: Self.footer, field: "interactive.footer.text") }
        guard (1...maxButtons).contains(buttons.count) else {
            throw .invalidContent(field: "interactive.action.buttons", detail: "has \(buttons.count) buttons (1 to \(maxButtons))")
        }
        for (index, button) in buttons.enumerated() {
            try check(button.id, max: buttonID, field: "interactive.action.buttons[\(index)].reply.id", required: true)
            try check(button.title, max: buttonTitle, field: "interactive.action.buttons[\(index)].reply.title", required: true)
        }
        if Set(buttons.map(\.id)).count != buttons.count {
            throw .invalidContent(field: "interactive.action.buttons", detail: "has duplicate ids")
        }
        if Set(buttons.map(\.title)).count != buttons.count {
            throw .invalidContent(field: "interactive.action.buttons", detail: "has duplicate titles")
        }
    }

    static func checkList(body: String, button: String, sections: [MessageContent.Section], header: String?,
                          footer: String?) throws(SendFailure) {
        try check(body, max: interactiveBody, field: "interactive.body.text", required: true)
        try check(button, max: listButton, field: "interactive.action.button", required: true)
        if let header { try check(header, max: headerText, field: "interactive.header.text") }
        if let footer { try check(footer, max: Self.footer, field: "interactive.footer.text") }
        guard (1...maxSections).contains(sections.count) else {
            throw .invalidContent(field: "interactive.action.sections", detail: "has \(sections.count) sections (1 to \(maxSections))")
        }
        let rows = sections.reduce(0) { $0 + $1.rows.count }
        guard (1...maxRows).contains(rows) else {
            throw .invalidContent(field: "interactive.action.sections", detail: "has \(rows) rows in all (1 to \(maxRows))")
        }
        for (s, section) in sections.enumerated() {
            let field = "interactive.action.sections[\(s)]"
            if let title = section.title {
                try check(title, max: sectionTitle, field: "\(field).title")
            } else if sections.count > 1 {
                throw .invalidContent(field: "\(field).title", detail: "is required when there are several sections")
            }
            for (r, row) in section.rows.enumerated() {
                try check(row.id, max: rowID, field: "\(field).rows[\(r)].id", required: true)
                try check(row.title, max: rowTitle, field: "\(field).rows[\(r)].title", required: true)
                if let description = row.description {
                    try check(description, max: rowDescription, field: "\(field).rows[\(r)].description")
                }
            }
        }
    }
}
