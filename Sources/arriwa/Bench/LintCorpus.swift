import Foundation

/// Generates the lint-1k corpus (../shared/bench/WORKLOAD.md): tenants of realistic
/// qualification flows with ~50 nodes each, varied in names and sizes, plus their manifests.
/// Every generated file is clean, so the run measures the validator, not error printing.
struct LintCorpus {
    var flows: Int
    var flowsPerTenant: Int
    var meanNodes: Int

    /// Writes the corpus under `directory`; returns (tenant dirs, flow files, total nodes, bytes).
    func write(to directory: String) throws -> (tenants: Int, flows: Int, nodes: Int, bytes: Int) {
        let fm = FileManager.default
        try? fm.removeItem(atPath: directory)
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 0xA11_1A)
        var written = 0, nodes = 0, bytes = 0, tenants = 0
        while written < flows {
            let tenant = "tenant-\(String(format: "%04d", tenants))"
            let dir = (directory as NSString).appendingPathComponent(tenant)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let steps = 6
            let files = [("tenant.yaml", tenantYAML(tenant, steps: steps, entry: "funnel_\(written)")), ("manifest.yaml", manifestYAML(steps: steps))]
            for (name, text) in files {
                try text.write(toFile: (dir as NSString).appendingPathComponent(name), atomically: false, encoding: .utf8)
                bytes += text.utf8.count
            }
            for _ in 0..<min(flowsPerTenant, flows - written) {
                // 40–60 nodes: 8 nodes per asked step, plus start and endings.
                let target = meanNodes - 10 + Int(rng.next() % 21)
                let asked = max(1, min(steps, (target - 4) / 8))
                let padding = max(0, target - 4 - asked * 8)
                let (text, count) = flowYAML(index: written, asked: asked, padding: padding)
                try text.write(toFile: (dir as NSString).appendingPathComponent("funnel_\(written).flow.yaml"), atomically: false, encoding: .utf8)
                written += 1
                nodes += count
                bytes += text.utf8.count
            }
            tenants += 1
        }
        return (tenants, written, nodes, bytes)
    }

    func tenantYAML(_ name: String, steps: Int, entry: String) -> String {
        let audiences = (1...steps).map { "  CA_QUAL_Q\($0): { id: \"9\($0)\" }\n" }.joined()
        return """
        tenant: \(name)
        entry_flow: \(entry)
        languages: [en, ru]
        provider: { kind: cloud_api, access_token_env: WA_TOKEN, app_secret_env: WA_APP_SECRET }
        thresholds: { valid: 0.65, noise: 0.30 }
        limits: { reprompts: 3, nudges: 2, step_timeout: 30m }
        streams:
          GOOD: { dataset_id: "100", access_token_env: CAPI_TOKEN }
          NOISE: { dataset_id: "200", access_token_env: CAPI_TOKEN, action_source: chat }
        conversions:
          event_names: { \((1...steps).map { "QUALIFY_Q\($0): \($0 == 1 ? "LeadSubmitted" : "none")" }.joined(separator: ", ")), QUALIFY_COMPLETE: QualifiedLead }
        audiences:
          A2_QUALIFIED: { id: "1" }
          CA_EXCLUDE_NOISE: { id: "2" }
        \(audiences)crm:
          kind: kommo
          token_env: CRM_TOKEN
          fields:
        \((1...steps).map { "    cf_q\($0): { id: \($0) }\n" }.joined())
        """
    }

    func manifestYAML(steps: Int) -> String {
        var out = "steps:\n"
        for n in 1...steps {
            out += """
              - id: Q\(n)
                kind: buttons
                question: { en: "Question number \(n)?", ru: "Вопрос номер \(n)?" }
                options:
                  - { id: a\(n), title: { en: Option A, ru: Вариант А }, synonyms: { en: [first, a] } }
                  - { id: b\(n), title: { en: Option B, ru: Вариант Б }, synonyms: { en: [second, b] } }
                  - { id: c\(n), title: { en: Option C, ru: Вариант В } }
                clarify: { en: "Please tap a button.", ru: "Нажмите кнопку." }
                reprompt: { en: "Sorry, which one?", ru: "Простите, какой?" }
                crm_field: cf_q\(n)
                audience: CA_QUAL_Q\(n)
                next: \(n == steps ? "done" : "Q\(n + 1)")

            """
        }
        return out
    }

    /// One flow: per asked step ask → wait → classify → record / count → limit → clarify.
    func flowYAML(index: Int, asked: Int, padding: Int) -> (String, Int) {
        let p = "f\(index)"
        var out = """
        flow: funnel_\(index)
        version: 1.\(index % 7).0
        description: Generated qualification funnel \(index) for the lint-1k benchmark.
        start: \(p)_begin
        vars:
          retries: { type: int, default: 0 }
          score: { type: number, default: 0 }
          note: { type: string, default: "", max_length: 200 }
        nodes:
          - id: \(p)_begin
            type: start
            next: \(p)_ask_1

        """
        var count = 1
        for k in 1...asked {
            let next = k == asked ? "\(p)_pad_0" : "\(p)_ask_\(k + 1)"
            out += """
              - id: \(p)_ask_\(k)
                type: wa.send
                step: Q\(k)
                template: { name: resume_q\(k), language: en }
                next: \(p)_wait_\(k)
              - id: \(p)_wait_\(k)
                type: wait
                timeout: 30m
                nudges:
                  - { after: 15m, when: delivered, text: { en: "Still there? Tap an answer.", ru: "Вы здесь? Выберите ответ." } }
                  - { after: 2m, when: read, text: "Any option is fine." }
                on: { message: \(p)_classify_\(k), timeout: \(p)_gave_up }
              - id: \(p)_classify_\(k)
                type: llm.classify
                step: Q\(k)
                on: { valid: \(p)_record_\(k), ambiguous: \(p)_count_\(k), noise: \(p)_count_\(k) }
              - id: \(p)_record_\(k)
                type: emit
                step: Q\(k)
                to: [capi, audiences, crm]
                key: ${session.id}-q\(k)-${hash(message.text)}
                next: \(p)_reset_\(k)
              - id: \(p)_reset_\(k)
                type: set
                vars: { retries: 0, score: "vars.score + message.classification.confidence" }
                next: \(next)
              - id: \(p)_count_\(k)
                type: set
                vars: { retries: vars.retries + 1 }
                next: \(p)_limit_\(k)
              - id: \(p)_limit_\(k)
                type: condition
                branches:
                  - when: vars.retries >= tenant.limits.reprompts && session.answers.Q\(k) != 'a\(k)'
                    next: \(p)_escalate
                else: \(p)_clarify_\(k)
              - id: \(p)_clarify_\(k)
                type: wa.send
                step: Q\(k)
                say: clarify
                next: \(p)_wait_\(k)

            """
            count += 8
        }
        for i in 0..<padding {
            out += """
              - id: \(p)_pad_\(i)
                type: set
                vars: { note: "'step \(i) of ' + string(vars.score)" }
                next: \(i + 1 == padding ? "\(p)_complete" : "\(p)_pad_\(i + 1)")

            """
            count += 1
        }
        if padding == 0 { out = out.replacingOccurrences(of: "next: \(p)_pad_0", with: "next: \(p)_complete") }
        out += """
          - id: \(p)_complete
            type: emit
            event: QUALIFY_COMPLETE
            to: [capi, audiences]
            key: ${session.id}-complete
            audiences: { add: [A2_QUALIFIED] }
            next: \(p)_done
          - id: \(p)_done
            type: end
            outcome: qualified
          - id: \(p)_escalate
            type: handover
            reason: "Escalated after ${vars.retries} attempts"
            message: { en: "Connecting you with a person…", ru: "Соединяем с оператором…" }
          - id: \(p)_gave_up
            type: end
            outcome: abandoned

        """
        return (out, count + 4)
    }
}

/// A small seeded generator so corpora are identical run to run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
