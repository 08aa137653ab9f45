namespace PortMismatch.Detection.Zeek;

/// <summary>What reading one companion log into an <see cref="EvidenceJoin"/> did: read = joined + unmatched + rejected + skipped.</summary>
public sealed class ZeekEvidenceCounts
{
    /// <summary>Gets the name of the input (its file name, or what the caller called it).</summary>
    public required string InputName { get; init; }

    /// <summary>Gets the log's path (<c>ssl</c>, <c>http</c>, <c>ssh</c>, <c>dns</c>, <c>dpd</c>, <c>analyzer</c>), or null when it was none of them.</summary>
    public string? Path { get; init; }

    /// <summary>Gets how many data lines were read.</summary>
    public long Read { get; init; }

    /// <summary>Gets how many records belonged to a flow the join remembers (their values were offered to it).</summary>
    public long Joined { get; init; }

    /// <summary>Gets how many records belonged to no remembered flow.</summary>
    public long Unmatched { get; init; }

    /// <summary>Gets how many lines could not be read (too long, invalid JSON or UTF-8, wrong field count, no uid).</summary>
    public long Rejected { get; init; }

    /// <summary>Gets how many records were of a log that gives no evidence (or came before a TSV header).</summary>
    public long Skipped { get; init; }

    /// <inheritdoc/>
    public override string ToString()
        => $"{InputName} ({Path ?? "?"}): read {Read} = joined {Joined} + unmatched {Unmatched} + rejected {Rejected} + skipped {Skipped}";
}
