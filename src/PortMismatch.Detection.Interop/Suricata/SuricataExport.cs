namespace PortMismatch.Detection.Interop.Suricata;

/// <summary>Writes a rule set and allow-list for Suricata (placeholder until the writer lands on the integration branch).</summary>
internal static class SuricataExport
{
    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
        => throw new NotSupportedException("The Suricata export is not written yet.");
}
