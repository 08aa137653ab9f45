namespace PortMismatch.Detection.Internal;

/// <summary>
/// App names as rules match them: equal when equal ignoring ASCII case only (<see cref="DetectionRule.AsciiEqualsIgnoreCase"/>),
/// hashed with the process's randomized string hash of their ASCII-lower-cased text, so that sets and dictionaries find
/// duplicates in one step each instead of comparing every pair.
/// </summary>
internal sealed class AsciiCaseComparer : IEqualityComparer<string>
{
    public static AsciiCaseComparer Instance { get; } = new();

    private AsciiCaseComparer()
    {
    }

    public bool Equals(string? x, string? y)
    {
        RuleWork.Count();
        return ReferenceEquals(x, y) || (x is not null && y is not null && DetectionRule.AsciiEqualsIgnoreCase(x, y));
    }

    public int GetHashCode(string obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        RuleWork.Count();
        const int StackLimit = 256;
        var folded = obj.Length <= StackLimit ? stackalloc char[StackLimit] : new char[obj.Length];
        folded = folded[..obj.Length];
        for (var i = 0; i < obj.Length; i++)
        {
            var c = obj[i];
            folded[i] = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
        }

        return string.GetHashCode(folded, StringComparison.Ordinal);
    }
}
