namespace PortMismatch.Detection.Interop.Zeek;

/// <summary>Writes a rule set and allow-list for Zeek (placeholder until the writer lands on the integration branch).</summary>
internal static class ZeekExport
{
    internal static RuleExportResult Write(RuleSet rules, AllowList allowList, RuleExportOptions options)
        => throw new NotSupportedException("The Zeek export is not written yet.");
}
