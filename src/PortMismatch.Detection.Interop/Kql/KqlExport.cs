namespace PortMismatch.Detection.Interop.Kql;

/// <summary>Writes a rule set and allow-list for Kql (placeholder until the writer lands on the integration branch).</summary>
internal static class KqlExport
{
    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
        => throw new NotSupportedException("The Kql export is not written yet.");
}
