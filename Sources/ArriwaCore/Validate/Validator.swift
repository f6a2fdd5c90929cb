/// Runs every rule over a loaded tenant and returns the findings (load diagnostics included),
/// sorted by position. Suppression comments are applied by `Suppressions`.
public enum Validator {
    public static func validate(_ project: TenantProject) -> [Diagnostic] {
        var diagnostics = project.diagnostics
        diagnostics.sort(by: Diagnostic.ordered)
        return diagnostics
    }
}
