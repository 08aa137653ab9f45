using System.Collections.Immutable;

namespace PortMismatch.Detection.Interop;

/// <summary>An exported rule set: the text for the target engine and what it had to leave out.</summary>
public sealed class RuleExportResult
{
    internal RuleExportResult(RuleExportFormat format, string text, ImmutableArray<RuleExportOmission> omissions)
    {
        Format = format;
        Text = text;
        Omissions = omissions.IsDefault ? [] : omissions;
    }

    /// <summary>Gets the target.</summary>
    public RuleExportFormat Format { get; }

    /// <summary>Gets the exported text (a search, a query, YAML documents, rules or a script), ending in a line feed.</summary>
    public string Text { get; }

    /// <summary>
    /// Gets what the target cannot express and the export left out (empty when the export means exactly what the rule set
    /// and allow-list mean). The text names each omission in a comment too.
    /// </summary>
    public ImmutableArray<RuleExportOmission> Omissions { get; }
}
