using System.Text.Json;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// The merger's repeat filter: per partition, the end of the newest segment whose partial rows it has merged and the row
/// indices seen of it (see <see cref="Merger"/>). Kept in the merger's checkpoint as
/// <c>[partition, end, first index, last index, first index, last index, ...]</c> (runs of consecutive indices).
/// </summary>
internal sealed class RepeatFilter : Dictionary<int, (ulong End, IndexSet Seen)>
{
    /// <summary>A deep copy (the index sets are copied too).</summary>
    public RepeatFilter Copy()
    {
        var copy = new RepeatFilter();
        foreach (var (partition, (end, seen)) in this)
        {
            copy[partition] = (end, seen.Copy());
        }

        return copy;
    }

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartArray();
        foreach (var partition in Keys.Order())
        {
            var (end, seen) = this[partition];
            json.WriteStartArray();
            json.WriteNumberValue(partition);
            json.WriteNumberValue(end);
            foreach (var (first, last) in seen.Runs())
            {
                json.WriteNumberValue(first);
                json.WriteNumberValue(last);
            }

            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    /// <summary>Reads what <see cref="Write"/> wrote; the reader is on the outer array's start and ends on its end.</summary>
    public static RepeatFilter Read(ref Utf8JsonReader json)
    {
        var filter = new RepeatFilter();
        while (json.Read() && json.TokenType == JsonTokenType.StartArray)
        {
            json.Read();
            var partition = json.GetInt32();
            json.Read();
            var end = json.GetUInt64();
            var seen = new IndexSet();
            while (json.Read() && json.TokenType == JsonTokenType.Number)
            {
                var first = json.GetInt32();
                json.Read();
                var last = json.GetInt32();
                if (last < first || last - first > 10_000_000)
                {
                    throw new JsonException($"the merger checkpoint's repeat filter has the run {first}..{last}");
                }

                for (var i = first; i <= last; i++)
                {
                    seen.Add(i);
                }
            }

            filter[partition] = (end, seen);
        }

        return filter;
    }
}

/// <summary>
/// A set of non-negative indices that arrive mostly in order (a segment's partial-row messages, 0, 1, 2, ...): the run
/// 0 .. <see cref="_prefix"/> - 1 as one number and only what came out of order in a hash set, so that a copy (the merger
/// takes one per window it opens) costs O(1) in the usual case instead of O(indices).
/// </summary>
internal sealed class IndexSet
{
    private int _prefix;
    private HashSet<int>? _rest;

    public IndexSet()
    {
    }

    public IndexSet(int index) => Add(index);

    /// <summary>Gets the number of indices held.</summary>
    public int Count => _prefix + (_rest?.Count ?? 0);

    /// <summary>Adds an index; false when it was held already (or is negative, which no message id has).</summary>
    public bool Add(int index)
    {
        if (index < _prefix || index < 0)
        {
            return false;
        }

        if (index > _prefix)
        {
            return (_rest ??= []).Add(index);
        }

        _prefix++;
        if (_rest is { Count: > 0 } rest)
        {
            while (rest.Remove(_prefix))
            {
                _prefix++;
            }
        }

        return true;
    }

    public bool Contains(int index) => index >= 0 && (index < _prefix || (_rest?.Contains(index) ?? false));

    public IndexSet Copy() => new() { _prefix = _prefix, _rest = _rest is { Count: > 0 } rest ? [.. rest] : null };

    /// <summary>The indices as runs of consecutive ones, in order.</summary>
    public IEnumerable<(int First, int Last)> Runs()
    {
        if (_prefix > 0)
        {
            yield return (0, _prefix - 1);
        }

        if (_rest is not { Count: > 0 } rest)
        {
            yield break;
        }

        var sorted = rest.Order().ToArray();
        for (var i = 0; i < sorted.Length;)
        {
            var j = i;
            while (j + 1 < sorted.Length && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            yield return (sorted[i], sorted[j]);
            i = j + 1;
        }
    }
}
