using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PortMismatch.Detection;

/// <summary>An immutable set of ports, kept as sorted, merged ranges.</summary>
public sealed class PortSet : IReadOnlyCollection<PortRange>, IEquatable<PortSet>
{
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
        var sorted = ranges.OrderBy(r => r.First).ThenBy(r => r.Last).ToList();
        var merged = ImmutableArray.CreateBuilder<PortRange>(sorted.Count);
        foreach (var range in sorted)
        {
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

        return merged.Count == 0 ? Empty : new PortSet(merged.ToImmutable());
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
