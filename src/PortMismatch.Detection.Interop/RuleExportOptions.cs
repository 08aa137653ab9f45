namespace PortMismatch.Detection.Interop;

/// <summary>Options of <see cref="RuleExport.Export"/>; the defaults suit most users.</summary>
public sealed record RuleExportOptions
{
    /// <summary>Gets the default options.</summary>
    public static RuleExportOptions Default { get; } = new();

    /// <summary>
    /// Gets the first Suricata signature id (<c>sid</c>); the export numbers its rules from here, in rule-set order. The
    /// default, 1571000, lies in 1000000-1999999, the range sidallocation.org reserves for local rules (T1571 is the ATT&amp;CK
    /// technique of a protocol on a non-standard port), so that exported rules take no published rule set's ids. Any other
    /// range an organisation owns works too: the export fails only when the first sid is below 1 or the last passes
    /// 4294967295 (Suricata's sid is an unsigned 32-bit number).
    /// </summary>
    public int SuricataFirstSid { get; init; } = 1_571_000;
}
