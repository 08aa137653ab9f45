namespace PortMismatch.Detection;

/// <summary>The bounds of an <see cref="EvidenceJoin"/>; change them with <c>with</c>.</summary>
public sealed record EvidenceOptions
{
    /// <summary>Gets the default options.</summary>
    public static EvidenceOptions Default { get; } = new();

    /// <summary>Gets how many distinct values of one field a row keeps (the rest are counted in <see cref="EvidenceField.OtherCount"/>); default 5.</summary>
    public int MaxValuesPerField { get; init; } = 5;

    /// <summary>
    /// Gets how many flows (records that broke a rule and have a flow id) are remembered while the other logs are read; a
    /// flow beyond it is counted in <see cref="EvidenceCounters.FlowsOverCap"/> and its row gets no evidence from it. Default
    /// 1,000,000 (a few hundred bytes each).
    /// </summary>
    public int MaxFlows { get; init; } = 1_000_000;

    /// <summary>Gets how many values one flow keeps (beyond it they are counted in <see cref="EvidenceCounters.ValuesOverCap"/>); default 32.</summary>
    public int MaxValuesPerFlow { get; init; } = 32;

    /// <summary>Gets the longest value kept, in bytes of its escaped UTF-8 text; a longer one is cut and ends in <c>...</c>. Default 256.</summary>
    public int MaxValueLength { get; init; } = 256;

    /// <summary>Gets the Community ID seed (0 unless the sensors use another).</summary>
    public ushort CommunityIdSeed { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxValuesPerField, nameof(MaxValuesPerField));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFlows, nameof(MaxFlows));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxValuesPerFlow, nameof(MaxValuesPerFlow));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueLength, 16, nameof(MaxValueLength));
    }
}
