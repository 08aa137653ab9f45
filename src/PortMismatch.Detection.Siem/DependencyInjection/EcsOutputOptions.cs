namespace PortMismatch.Detection.Siem;

/// <summary>
/// The ECS output registered by <c>UseEcsOutput</c>: the file the documents are appended to, and every
/// <see cref="EcsWriterOptions"/> value under the same name, so that all of them bind from configuration.
/// </summary>
public sealed class EcsOutputOptions
{
    /// <summary>
    /// Gets or sets the NDJSON file the alert documents are appended to (created when missing; a restarted host adds to
    /// the file a shipper such as Filebeat is reading rather than truncating it). Required.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Gets or sets <see cref="EcsWriterOptions.Dataset"/>.</summary>
    public string Dataset { get; set; } = EcsWriterOptions.DefaultDataset;

    /// <summary>Gets or sets <see cref="EcsWriterOptions.ObserverName"/>.</summary>
    public string? ObserverName { get; set; }

    /// <summary>Gets or sets <see cref="EcsWriterOptions.RuleSet"/>.</summary>
    public string? RuleSet { get; set; }

    /// <summary>The writer options these values make.</summary>
    internal EcsWriterOptions ToWriterOptions() => new()
    {
        Dataset = Dataset,
        ObserverName = ObserverName,
        RuleSet = RuleSet,
    };
}
