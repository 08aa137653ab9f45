namespace PortMismatch.Detection.Siem;

/// <summary>Options of <see cref="EcsAlertWriter"/>: the values an ECS document carries that a row does not know.</summary>
public sealed record EcsWriterOptions
{
    /// <summary>The default <see cref="Dataset"/>.</summary>
    internal const string DefaultDataset = "portmismatch.alert";

    /// <summary>Gets the options with every default.</summary>
    public static EcsWriterOptions Default { get; } = new();

    /// <summary>
    /// Gets <c>event.dataset</c>: what the documents are, for routing and filtering them in Elasticsearch (default
    /// <c>portmismatch.alert</c>, the module name, a dot, then the dataset name, as ECS recommends). ECS asks
    /// <c>data_stream.dataset</c> to have the same value and allows there no <c>-</c> and at most 100 characters, so the
    /// writer refuses a value that could not name the data stream.
    /// </summary>
    public string Dataset { get; init; } = DefaultDataset;

    /// <summary>
    /// Gets <c>observer.name</c>: which detection instance (host, sensor, pipeline) produced the alert, when several send
    /// to one cluster; <see langword="null"/> (the default) leaves the observer out.
    /// </summary>
    public string? ObserverName { get; init; }

    /// <summary>
    /// Gets <c>rule.ruleset</c>: the name of the rule set the rows' rules come from (<c>escu</c>, <c>extended</c>), which a
    /// row does not know; <see langword="null"/> (the default) leaves it out.
    /// </summary>
    public string? RuleSet { get; init; }

    /// <summary>Gets whether disposing the writer leaves a stream it was given open. Default false.</summary>
    public bool LeaveOpen { get; init; }

    /// <summary>Throws when a value cannot be written; the message names the setting.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Dataset) || Dataset.Contains('-', StringComparison.Ordinal) || Dataset.Length > 100)
        {
            throw new ArgumentException(
                $"EcsWriterOptions.Dataset '{Dataset}': event.dataset must not be blank, contain '-' or be longer than 100 characters (ECS asks the same of data_stream.dataset, which should equal it).",
                nameof(Dataset));
        }

        if (ObserverName is not null && string.IsNullOrWhiteSpace(ObserverName))
        {
            throw new ArgumentException("EcsWriterOptions.ObserverName is blank: give a name or leave it null.", nameof(ObserverName));
        }

        if (RuleSet is not null && string.IsNullOrWhiteSpace(RuleSet))
        {
            throw new ArgumentException("EcsWriterOptions.RuleSet is blank: give a name or leave it null.", nameof(RuleSet));
        }
    }
}
