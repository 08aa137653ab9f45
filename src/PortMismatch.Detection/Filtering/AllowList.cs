using System.Collections;
using System.Collections.Immutable;

namespace PortMismatch.Detection;

/// <summary>
/// The declarative form of the search's <c>protocol_or_port_mismatch_filter</c> macro: entries of traffic that is known and
/// accepted. A row that any entry matches is removed. Load from JSON with <see cref="AllowListJson"/>.
/// </summary>
public sealed class AllowList : IReadOnlyList<AllowListEntry>
{
    private readonly ImmutableArray<AllowListEntry> _entries;

    /// <summary>Creates an allow-list.</summary>
    /// <param name="entries">The entries; each needs at least one condition.</param>
    /// <exception cref="ArgumentException">An entry is null or has no condition.</exception>
    public AllowList(IEnumerable<AllowListEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var builder = ImmutableArray.CreateBuilder<AllowListEntry>();
        foreach (var entry in entries)
        {
            if (entry is null || !entry.HasCondition)
            {
                throw new ArgumentException($"Allow-list entry {builder.Count} {(entry is null ? "is null" : $"('{entry.Comment}') sets no condition and would allow every row")}.", nameof(entries));
            }

            builder.Add(entry);
        }

        _entries = builder.ToImmutable();
    }

    /// <summary>Gets the empty allow-list.</summary>
    public static AllowList Empty { get; } = new([]);

    /// <summary>Gets the number of entries.</summary>
    public int Count => _entries.Length;

    /// <summary>Gets an entry.</summary>
    /// <param name="index">The index.</param>
    public AllowListEntry this[int index] => _entries[index];

    /// <summary>Finds the first entry that allows the row.</summary>
    /// <param name="row">The row.</param>
    /// <returns>The entry's index, or -1 when none does.</returns>
    public int IndexOfMatch(MismatchRow row)
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].Matches(row))
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc/>
    public IEnumerator<AllowListEntry> GetEnumerator() => ((IEnumerable<AllowListEntry>)_entries).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
