namespace PortMismatch.Detection.Interop;

/// <summary>
/// Exports a rule set (with its exemptions and upgrade-of relations) and an allow-list to another engine's language, from
/// one source of truth: what the export selects is what <see cref="MismatchEvaluator"/> and <see cref="RowFilter"/>
/// select, or the difference is named in <see cref="RuleExportResult.Omissions"/>.
/// </summary>
public static class RuleExport
{
    /// <summary>Exports rules and an allow-list.</summary>
    /// <param name="format">The target engine.</param>
    /// <param name="rules">The rule set.</param>
    /// <param name="allowList">The allow-list applied to the rows, or <see langword="null"/> for none.</param>
    /// <param name="options">Options, or <see langword="null"/> for <see cref="RuleExportOptions.Default"/>.</param>
    /// <returns>The exported text and what it left out.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The format is not one of <see cref="RuleExportFormat"/>.</exception>
    public static RuleExportResult Export(RuleExportFormat format, RuleSet rules, AllowList? allowList = null, RuleExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        allowList ??= AllowList.Empty;
        options ??= RuleExportOptions.Default;
        return format switch
        {
            RuleExportFormat.Spl => Spl.SplExport.Write(rules, allowList, options),
            RuleExportFormat.Kql => Kql.KqlExport.Write(rules, allowList, options),
            RuleExportFormat.Sigma => Sigma.SigmaExport.Write(rules, allowList, options),
            RuleExportFormat.Suricata => Suricata.SuricataExport.Write(rules, allowList, options),
            RuleExportFormat.Zeek => Zeek.ZeekExport.Write(rules, allowList, options),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
        };
    }

    /// <summary>Gets a format by its name as the command line writes it (<c>spl</c>, <c>kql</c>, <c>sigma</c>, <c>suricata</c>, <c>zeek</c>), ignoring case.</summary>
    /// <param name="name">The name.</param>
    /// <param name="format">The format, when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParseFormat(string name, out RuleExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(name);
        format = default;
        return name.Trim().ToUpperInvariant() switch
        {
            "SPL" => Set(RuleExportFormat.Spl, out format),
            "KQL" => Set(RuleExportFormat.Kql, out format),
            "SIGMA" => Set(RuleExportFormat.Sigma, out format),
            "SURICATA" => Set(RuleExportFormat.Suricata, out format),
            "ZEEK" => Set(RuleExportFormat.Zeek, out format),
            _ => false,
        };

        static bool Set(RuleExportFormat value, out RuleExportFormat format)
        {
            format = value;
            return true;
        }
    }
}
