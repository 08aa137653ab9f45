namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// Zeek conn.log as <see cref="FlowInput"/> recognises it, by its first line as the reader reads it (a byte order mark
/// and blank lines skipped): a TSV header directive, a JSON object with a Zeek log's keys, or headerless TSV (zeek-cut
/// output without <c>-c</c>), which the reader reads with <see cref="ZeekReaderOptions.FieldNames"/> and otherwise refuses
/// with an error that asks for them, so that such input is never "unknown".
/// </summary>
internal sealed class ZeekInputFormat(ZeekReaderOptions? options) : InputFormat("zeek")
{
    /// <summary>How the first line of Zeek content reads.</summary>
    internal enum Kind
    {
        None,
        Tsv,
        Json,
        Headerless,
    }

    /// <inheritdoc/>
    public override bool IsMatch(ReadOnlySpan<byte> head) => Recognise(head, options) != Kind.None;

    /// <inheritdoc/>
    public override string ExplainMismatch(ReadOnlySpan<byte> head)
        => Recognise(head, options) != Kind.None
            ? "it is"
            : "no #separator or #fields header line, no JSON object with a Zeek log's keys (_path, uid, id.orig_h, ...), no tab-separated zeek-cut line";

    /// <inheritdoc/>
    public override IFlowSource StreamSource(Stream content, string name, Action<InputDiagnostic>? diagnostics = null)
        => ZeekConnInput.StreamSource(content, name, options, diagnostics);

    /// <summary>Tells how the first line of <paramref name="head"/> reads as Zeek (it may be cut at the end of the head).</summary>
    internal static Kind Recognise(ReadOnlySpan<byte> head, ZeekReaderOptions? options)
    {
        var text = head.StartsWith("\uFEFF"u8) ? head[3..] : head;
        text = text.TrimStart(" \t\r\n"u8);
        var lineFeed = text.IndexOf((byte)'\n');
        var line = lineFeed < 0 ? text : text[..lineFeed];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.IsEmpty || line.IndexOfAnyInRange((byte)0, (byte)0x08) >= 0 || line.IndexOfAnyInRange((byte)0x0A, (byte)0x1F) >= 0)
        {
            return Kind.None;
        }

        if (line[0] == (byte)'#')
        {
            return IsDirective(line) ? Kind.Tsv : Kind.None;
        }

        if (line[0] == (byte)'{')
        {
            return HasZeekKey(line) ? Kind.Json : Kind.None;
        }

        return IsHeaderless(line, lineFeed >= 0, options) ? Kind.Headerless : Kind.None;
    }

    // The directives Zeek writes before its records (the reader takes every '#' line as one; these are Zeek's own).
    private static bool IsDirective(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("#separator"u8))
        {
            return line.Length > 10 && line[10] is (byte)' ' or (byte)'\t';
        }

        var tab = line.IndexOf((byte)'\t');
        var name = tab < 0 ? line : line[..tab];
        return name.SequenceEqual("#fields"u8) || name.SequenceEqual("#types"u8) || name.SequenceEqual("#path"u8)
            || name.SequenceEqual("#set_separator"u8) || name.SequenceEqual("#empty_field"u8) || name.SequenceEqual("#unset_field"u8)
            || name.SequenceEqual("#open"u8);
    }

    // A Zeek JSON log has _path (with LogAscii::use_json and a writer that adds it) or the conn keys the reader maps.
    private static bool HasZeekKey(ReadOnlySpan<byte> line)
        => line.IndexOf("\"_path\""u8) >= 0 || line.IndexOf("\"uid\""u8) >= 0 || line.IndexOf("\"id.orig_h\""u8) >= 0
            || line.IndexOf("\"id.resp_h\""u8) >= 0 || line.IndexOf("\"id.resp_p\""u8) >= 0 || line.IndexOf("\"id\":{"u8) >= 0;

    // zeek-cut output without its header: with FieldNames, a line of that many columns; without, a line of two or more
    // non-empty tab-separated values without spaces (conn.log values have none), which the reader refuses asking for them.
    private static bool IsHeaderless(ReadOnlySpan<byte> line, bool complete, ZeekReaderOptions? options)
    {
        if (options?.FieldNames is { } names)
        {
            if (options.FieldSeparator > 0x7F)
            {
                return false;
            }

            var columns = line.Count((byte)options.FieldSeparator) + 1;
            return complete ? columns == names.Count : columns <= names.Count && columns > 1;
        }

        var fields = line.Count((byte)'\t') + 1;
        return fields >= 2 && line.IndexOf((byte)' ') < 0 && line.IndexOf("\t\t"u8) < 0 && line[0] != (byte)'\t' && line[^1] != (byte)'\t';
    }
}
