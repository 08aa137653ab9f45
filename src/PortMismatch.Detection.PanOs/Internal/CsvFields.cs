namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>Where one CSV field's content is (without the quotes of a quoted field).</summary>
internal struct FieldRange
{
    public int Start;
    public int Length;

    // Quoted with doubled quotes inside: the content must be unescaped before use.
    public bool HasEscapedQuotes;
}

internal enum CsvStatus
{
    Done = 0,
    UnterminatedQuote = 1,
    BadQuote = 2,
}

/// <summary>
/// Splits PAN-OS CSV (RFC 4180 quoting: a field that starts with <c>"</c> ends at a <c>"</c> not followed by another; a
/// field that starts with <c>{</c> runs to its <c>}</c>, because the Link Switches list holds unquoted commas). Only the first
/// fields are located; the rest of the line is checked for well-formed quoting without being stored.
/// </summary>
internal static class CsvFields
{
    /// <summary>Locates up to <c>fields.Length</c> fields.</summary>
    /// <param name="csv">The CSV text of one line.</param>
    /// <param name="fields">Receives the fields.</param>
    /// <param name="count">The number of fields located (the line's field count when it has no more than <c>fields.Length</c>).</param>
    /// <param name="errorAt">On failure, the offset of the offending quote.</param>
    public static CsvStatus Split(ReadOnlySpan<byte> csv, Span<FieldRange> fields, out int count, out int errorAt)
    {
        var pos = 0;
        count = 0;
        errorAt = -1;
        while (true)
        {
            var status = NextField(csv, ref pos, out var field, out var last);
            if (status != CsvStatus.Done)
            {
                errorAt = pos;
                return status;
            }

            if (count < fields.Length)
            {
                fields[count] = field;
            }
            else if (csv[pos..].IndexOf((byte)'"') < 0)
            {
                // The common case: nothing left that could be malformed.
                count++;
                return CsvStatus.Done;
            }

            count++;
            if (last)
            {
                return CsvStatus.Done;
            }
        }
    }

    private static CsvStatus NextField(ReadOnlySpan<byte> csv, ref int pos, out FieldRange field, out bool last)
    {
        field = default;
        last = false;
        if (pos < csv.Length && csv[pos] == (byte)'"')
        {
            var p = pos + 1;
            var escaped = false;
            while (true)
            {
                var q = csv[p..].IndexOf((byte)'"');
                if (q < 0)
                {
                    return CsvStatus.UnterminatedQuote;
                }

                p += q;
                if (p + 1 < csv.Length && csv[p + 1] == (byte)'"')
                {
                    escaped = true;
                    p += 2;
                    continue;
                }

                break;
            }

            field = new FieldRange { Start = pos + 1, Length = p - pos - 1, HasEscapedQuotes = escaped };
            p++;
            if (p == csv.Length)
            {
                pos = p;
                last = true;
                return CsvStatus.Done;
            }

            if (csv[p] != (byte)',')
            {
                pos = p;
                return CsvStatus.BadQuote;
            }

            pos = p + 1;
            return CsvStatus.Done;
        }

        var searchFrom = pos;
        if (pos < csv.Length && csv[pos] == (byte)'{')
        {
            var close = csv[pos..].IndexOf((byte)'}');
            if (close > 0)
            {
                searchFrom = pos + close;
            }
        }

        var comma = csv[searchFrom..].IndexOf((byte)',');
        if (comma < 0)
        {
            field = new FieldRange { Start = pos, Length = csv.Length - pos };
            pos = csv.Length;
            last = true;
            return CsvStatus.Done;
        }

        field = new FieldRange { Start = pos, Length = searchFrom + comma - pos };
        pos = searchFrom + comma + 1;
        return CsvStatus.Done;
    }
}
