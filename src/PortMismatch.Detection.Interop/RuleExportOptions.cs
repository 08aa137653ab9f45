namespace PortMismatch.Detection.Interop;

/// <summary>Options of <see cref="RuleExport.Export"/>; the defaults suit most users.</summary>
public sealed record RuleExportOptions
{
    /// <summary>Gets the default options.</summary>
    public static RuleExportOptions Default { get; } = new();
}
