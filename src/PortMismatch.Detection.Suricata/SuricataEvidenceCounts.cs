namespace PortMismatch.Detection.Suricata;

/// <summary>What reading an EVE input into an <see cref="EvidenceJoin"/> did: read = joined + unmatched + rejected + skipped.</summary>
public sealed class SuricataEvidenceCounts
{
    /// <summary>Gets the name of the input.</summary>
    public required string InputName { get; init; }

    /// <summary>Gets how many lines were read (empty lines are not counted).</summary>
    public long Read { get; init; }

    /// <summary>Gets how many tls, http, dns or ssh events belonged to a flow the join remembers (their values were offered to it).</summary>
    public long Joined { get; init; }

    /// <summary>Gets how many tls, http, dns or ssh events belonged to no remembered flow.</summary>
    public long Unmatched { get; init; }

    /// <summary>Gets how many lines could not be read (too long, not a JSON object).</summary>
    public long Rejected { get; init; }

    /// <summary>Gets how many events were of another type (flow, netflow, alert, stats, ...) or had no flow id.</summary>
    public long Skipped { get; init; }

    /// <inheritdoc/>
    public override string ToString()
        => $"{InputName}: read {Read} = joined {Joined} + unmatched {Unmatched} + rejected {Rejected} + skipped {Skipped}";
}
