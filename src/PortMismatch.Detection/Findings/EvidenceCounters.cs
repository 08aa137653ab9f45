namespace PortMismatch.Detection;

/// <summary>What an <see cref="EvidenceJoin"/> did: every flow that broke a rule and every value offered is accounted for.</summary>
public sealed class EvidenceCounters
{
    /// <summary>Gets how many records that broke a rule were remembered (by their flow id) for the join.</summary>
    public long FlowsTracked { get; init; }

    /// <summary>Gets how many records that broke a rule repeated a flow id already remembered (kept once).</summary>
    public long FlowsRepeated { get; init; }

    /// <summary>Gets how many records that broke a rule had no flow id (no evidence can be joined to them).</summary>
    public long FlowsWithoutId { get; init; }

    /// <summary>Gets how many records that broke a rule were not remembered because <see cref="EvidenceOptions.MaxFlows"/> flows were.</summary>
    public long FlowsOverCap { get; init; }

    /// <summary>Gets how many values from other logs belonged to a remembered flow and were kept.</summary>
    public long ValuesJoined { get; init; }

    /// <summary>Gets how many values belonged to a remembered flow that already held <see cref="EvidenceOptions.MaxValuesPerFlow"/>.</summary>
    public long ValuesOverCap { get; init; }

    /// <summary>Gets how many values belonged to no remembered flow (the flow broke no rule, or was over the cap).</summary>
    public long ValuesUnmatched { get; init; }

    /// <summary>Gets how many rows were given evidence by <see cref="EvidenceJoin.Attach"/>.</summary>
    public long RowsWithEvidence { get; init; }

    /// <inheritdoc/>
    public override string ToString()
        => $"flows tracked {FlowsTracked} (repeated {FlowsRepeated}, without id {FlowsWithoutId}, over cap {FlowsOverCap}); values joined {ValuesJoined} (over cap {ValuesOverCap}), unmatched {ValuesUnmatched}; rows with evidence {RowsWithEvidence}";
}
