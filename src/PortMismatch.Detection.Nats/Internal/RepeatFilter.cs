using System.Text.Json;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// The merger's repeat filter: per partition, the end of the newest segment whose partial rows it has merged and the row
/// indices seen of it (see <see cref="Merger"/>). Kept in the merger's checkpoint as
/// <c>[partition, end, first index, last index, first index, last index, ...]</c> (runs of consecutive indices).
/// </summary>
internal sealed class RepeatFilter : Dictionary<int, (ulong End, HashSet<int> Seen)>
{
    /// <summary>A deep copy (the index sets are copied too).</summary>
    public RepeatFilter Copy()
    {
        var copy = new RepeatFilter();
        foreach (var (partition, (end, seen)) in this)
        {
            copy[partition] = (end, [.. seen]);
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
            var indices = seen.Order().ToArray();
            for (var i = 0; i < indices.Length;)
            {
                var j = i;
                while (j + 1 < indices.Length && indices[j + 1] == indices[j] + 1)
                {
                    j++;
                }

                json.WriteNumberValue(indices[i]);
                json.WriteNumberValue(indices[j]);
                i = j + 1;
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
            var seen = new HashSet<int>();
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
