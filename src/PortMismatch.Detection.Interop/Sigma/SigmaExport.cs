namespace PortMismatch.Detection.Interop.Sigma;

/// <summary>Writes a rule set and allow-list for Sigma (placeholder until the writer lands on the integration branch).</summary>
internal static class SigmaExport
{
    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
        => throw new NotSupportedException("The Sigma export is not written yet.");
}
