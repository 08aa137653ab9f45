namespace PortMismatch.Detection.Interop.Spl;

/// <summary>Writes a rule set and allow-list for Spl (placeholder until the writer lands on the integration branch).</summary>
internal static class SplExport
{
    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
        => throw new NotSupportedException("The Spl export is not written yet.");
}
