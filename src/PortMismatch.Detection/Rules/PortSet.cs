using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PortMismatch.Detection;

/// <summary>An immutable set of ports, kept as sorted, merged ranges.</summary>
public sealed class PortSet : IReadOnlyCollection<PortRange>, IEquatable<PortSet>
{
    // Up to this many ranges are sorted (a few comparisons each); more are bucketed by first port, in time linear in their
    // number plus the 65,536 ports, so that a rule file listing tens of thousands of ports loads in linear time.
    private const int SortLimit = 256;

    private readonly ImmutableArray<PortRange> _ranges;

    private PortSet(ImmutableArray<PortRange> ranges) => _ranges = ranges;

    /// <summary>The empty set (not valid as a rule's expected ports).</summary>
    public static PortSet Empty { get; } = new(ImmutableArray<PortRange>.Empty);

    /// <summary>Gets the sorted, non-overlapping, non-adjacent ranges of the set.</summary>
    public ImmutableArray<PortRange> Ranges => _ranges;

    /// <summary>Gets the number of ranges (not ports).</summary>
    public int Count => _ranges.Length;

    /// <summary>Gets whether the set holds no port.</summary>
    public bool IsEmpty => _ranges.IsEmpty;

    /// <summary>Creates a set of single ports.</summary>
    /// <param name="ports">The ports (0-65535).</param>
    /// <returns>The set.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A port is outside 0-65535.</exception>
    public static PortSet Of(params int[] ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var ranges = new PortRange[ports.Length];
        for (var i = 0; i < ports.Length; i++)
        {
            ranges[i] = new PortRange(ports[i]);
        }

        return FromRanges(ranges);
    }

    /// <summary>Creates a set from ranges, which may overlap or come in any order.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <returns>The set.</returns>
    public static PortSet FromRanges(IEnumerable<PortRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = ranges.ToArray();
        return list.Length switch
        {
            0 => Empty,
            <= SortLimit => new PortSet(MergeSorted(list)),
            _ => new PortSet(MergeByFirstPort(list)),
        };
    }

    private static ImmutableArray<PortRange> MergeSorted(PortRange[] ranges)
    {
        Array.Sort(ranges, static (a, b) =>
        {
            Internal.RuleWork.Count();
            return a.First != b.First ? a.First.CompareTo(b.First) : a.Last.CompareTo(b.Last);
        });
        var merged = ImmutableArray.CreateBuilder<PortRange>(ranges.Length);
        foreach (var range in ranges)
        {
            Internal.RuleWork.Count();
            if (merged.Count > 0 && range.First <= merged[^1].Last + 1)
            {
                var last = merged[^1];
                merged[^1] = new PortRange(last.First, Math.Max(last.Last, range.Last));
            }
            else
            {
                merged.Add(range);
            }
        }

        return merged.DrainToImmutable();
    }

    private static ImmutableArray<PortRange> MergeByFirstPort(PortRange[] ranges)
    {
        // For each first port, the furthest last port of the ranges that start there (-1: none start there).
        var furthest = new int[ushort.MaxValue + 1];
        Array.Fill(furthest, -1);
        foreach (var range in ranges)
        {
            Internal.RuleWork.Count();
            furthest[range.First] = Math.Max(furthest[range.First], range.Last);
        }

        var merged = ImmutableArray.CreateBuilder<PortRange>();
        int start = -1, end = -2;
        for (var port = 0; port <= ushort.MaxValue; port++)
        {
            if (furthest[port] < 0)
            {
                continue;
            }

            if (port > end + 1)
            {
                if (start >= 0)
                {
                    merged.Add(new PortRange(start, end));
                }

                start = port;
            }

            end = Math.Max(end, furthest[port]);
        }

        Internal.RuleWork.Count(ushort.MaxValue + 1);
        merged.Add(new PortRange(start, end));
        return merged.DrainToImmutable();
    }

    /// <summary>Parses <c>80, 8000-8080</c>: ports and ranges separated by commas (spaces allowed around items).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The set.</returns>
    /// <exception cref="FormatException">An item is not a port or a range of ports.</exception>
    public static PortSet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ranges = new List<PortRange>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            ranges.Add(TryParseRange(item, out var range)
                ? range
                : throw new FormatException($"'{Internal.TextEscaper.Escape(item)}' is not a port (0-65535) or a range of ports such as 8000-8080."));
        }

        return FromRanges(ranges);
    }

    /// <summary>Parses one item: <c>443</c> or <c>8000-8080</c>.</summary>
    /// <param name="text">The item.</param>
    /// <param name="range">The range.</param>
    /// <returns>Whether the item is valid.</returns>
    public static bool TryParseRange(ReadOnlySpan<char> text, out PortRange range)
    {
        range = default;
        var dash = text.IndexOf('-');
        var firstText = dash < 0 ? text : text[..dash];
        var lastText = dash < 0 ? text : text[(dash + 1)..];
        if (!int.TryParse(firstText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(lastText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || first > ushort.MaxValue || last > ushort.MaxValue || last < first)
        {
            return false;
        }

        range = new PortRange(first, last);
        return true;
    }

    /// <summary>Gets whether the set holds <paramref name="port"/>.</summary>
    /// <param name="port">The port.</param>
    /// <returns>Whether it is in the set.</returns>
    public bool Contains(int port)
    {
        foreach (var range in _ranges)
        {
            if (range.Contains(port))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Returns <c>80, 8000-8080</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join(", ", _ranges);

    /// <inheritdoc/>
    public bool Equals([NotNullWhen(true)] PortSet? other) => other is not null && _ranges.AsSpan().SequenceEqual(other._ranges.AsSpan());

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PortSet);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var range in _ranges)
        {
            hash.Add(range);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public IEnumerator<PortRange> GetEnumerator() => ((IEnumerable<PortRange>)_ranges).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
