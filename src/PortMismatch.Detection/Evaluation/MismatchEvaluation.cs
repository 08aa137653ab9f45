namespace PortMismatch.Detection;

/// <summary>The result of <see cref="MismatchEvaluator.Evaluate(in FlowRecord)"/>.</summary>
public readonly struct MismatchEvaluation
{
    internal MismatchEvaluation(int mismatchCount, ulong mismatchMask, int firstValueIndex, int firstRuleIndex)
    {
        MismatchCount = mismatchCount;
        MismatchMask = mismatchMask;
        FirstValueIndex = firstValueIndex;
        FirstRuleIndex = firstRuleIndex;
    }

    /// <summary>Gets whether the record is selected: at least one app value is a mismatch.</summary>
    public bool IsMismatch => MismatchCount > 0;

    /// <summary>Gets the number of app values that are mismatches.</summary>
    public int MismatchCount { get; }

    /// <summary>Gets a bit per app value (bit i for the i-th non-empty value, the first 64 values) set where the value is a mismatch.</summary>
    public ulong MismatchMask { get; }

    /// <summary>Gets the index of the first mismatching app value, or -1.</summary>
    public int FirstValueIndex { get; }

    /// <summary>Gets the index in <see cref="MismatchEvaluator.Rules"/> of the rule the first mismatching value breaks, or -1.</summary>
    public int FirstRuleIndex { get; }
}
