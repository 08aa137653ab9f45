using System.Buffers;
using System.Globalization;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// Writes rows as an aligned text table for people: the search's seven columns and the rule. Columns have fixed widths
/// (a longer value widens its cell rather than being cut), so the table streams without holding rows.
/// </summary>
public sealed class TableRowWriter : RowWriter
{
    private static readonly (string Name, int Width)[] Columns =
    [
        ("src_ip", 15), ("dest_ip", 15), ("app", 14), ("dest_port", 9), ("count", 7), ("firstTime", 19), ("lastTime", 19), ("rule", 10),
    ];

    /// <summary>Creates a writer over a stream with the default options.</summary>
    /// <param name="stream">The destination.</param>
    public TableRowWriter(Stream stream)
        : base(stream, null)
    {
    }

    /// <summary>Creates a writer over a buffer writer with the default options.</summary>
    /// <param name="output">The destination.</param>
    public TableRowWriter(IBufferWriter<byte> output)
        : base(output, null)
    {
    }

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public TableRowWriter(Stream stream, RowWriterOptions? options)
        : base(stream, options)
    {
    }

    /// <summary>Creates a writer over a buffer writer.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public TableRowWriter(IBufferWriter<byte> output, RowWriterOptions? options)
        : base(output, options)
    {
    }

    /// <inheritdoc/>
    protected override void WriteHeader(IBufferWriter<byte> output)
    {
        var cells = Columns.Select(c => c.Name).ToList();
        if (Options.IncludeWindow)
        {
            cells.Add("window");
        }

        WriteCells(output, cells);
        WriteCells(output, cells.Select((c, i) => new string('-', i < Columns.Length ? Math.Max(Columns[i].Width, c.Length) : 19)).ToList());
    }

    /// <inheritdoc/>
    protected override void WriteRow(IBufferWriter<byte> output, MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var cells = new List<string>
        {
            MismatchRow.FormatAddress(row.SourceAddress),
            MismatchRow.FormatAddress(row.DestinationAddress),
            Printable(row.App),
            row.DestinationPort.ToString(inv),
            row.Count.ToString(inv),
            RowTime.Format(row.FirstTimeMicroseconds, Options.TimeZone),
            RowTime.Format(row.LastTimeMicroseconds, Options.TimeZone),
            Printable(row.Rule?.Id ?? "-"),
        };
        if (Options.IncludeWindow)
        {
            cells.Add(row.WindowStartMicroseconds is { } start ? RowTime.Format(start, Options.TimeZone) : "-");
        }

        WriteCells(output, cells);
    }

    private void WriteCells(IBufferWriter<byte> output, List<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            var last = i == cells.Count - 1;
            var width = i < Columns.Length ? Columns[i].Width : 0;
            WriteText(output, last ? cells[i] : cells[i].PadRight(width) + "  ");
        }

        WriteText(output, Options.NewLine);
    }

    /// <summary>
    /// Input's text (the app, and the rule id, which comes from a rule file) made safe for a terminal: characters that could
    /// move the cursor, start a control sequence, reorder the text or hide in it are shown as the <c>\xHH</c> escapes of their
    /// UTF-8 bytes, the notation of <see cref="MismatchRow.App"/>. They are the controls (C0, DEL, C1: U+009B is a
    /// one-character CSI), the format characters (the bidi embeddings, overrides, isolates and marks such as U+202E, the
    /// zero-width characters, the byte-order mark, the tag characters), the line and paragraph separators, and code points
    /// that are unassigned (a terminal may know them as something else); a lone surrogate shows as <c>\uXXXX</c>.
    /// </summary>
    internal static string Printable(string value)
    {
        if (!value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            return value;
        }

        var text = new StringBuilder(value.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed) != OperationStatus.Done)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)value[i]:x4}");
            }
            else if (IsHidden(rune))
            {
                Internal.AppText.AppendEscaped(text, utf8[..rune.EncodeToUtf8(utf8)]);
            }
            else
            {
                text.Append(value, i, consumed);
            }

            i += consumed;
        }

        return text.ToString();
    }

    private static bool IsHidden(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned;
}
