using System.Buffers;
using System.Globalization;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// Writes rows as an aligned text table for people: the search's seven columns, the rule, and why it fired (the port found
/// and the ports the rule expects: <c>dns on udp/5353, expected 53</c>). Rows are held until <see cref="RowWriter.Flush"/>
/// (or disposal), then written with each column as wide as its widest value among them, so IPv6 addresses and long App-IDs
/// keep the table aligned; a later flush widens columns for wider values but never narrows them. A value longer than
/// <see cref="MaxCellWidth"/> characters (the reason: <see cref="MaxReasonWidth"/>) is cut and ends with <c>…</c>.
/// </summary>
public sealed class TableRowWriter : RowWriter
{
    /// <summary>The widest a cell other than the reason is printed: a longer app value or rule id is cut and ends with <c>…</c>.</summary>
    public const int MaxCellWidth = 48;

    /// <summary>The widest the reason (the last column) is printed.</summary>
    public const int MaxReasonWidth = 120;

    private const string Cut = "\u2026";

    private readonly List<MismatchRow> _held = [];
    private int[]? _widths;
    private bool _headerDue;

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
    protected override void WriteHeader(IBufferWriter<byte> output) => _headerDue = true; // with the first rows' widths

    /// <inheritdoc/>
    protected override void WriteRow(IBufferWriter<byte> output, MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _held.Add(row);
    }

    private protected override void WriteHeldRows(IBufferWriter<byte> output)
    {
        var names = ColumnNames();
        if (_widths is null)
        {
            _widths = new int[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                _widths[i] = names[i].Length;
            }
        }

        foreach (var row in _held)
        {
            var cells = Cells(row);
            for (var i = 0; i < cells.Length; i++)
            {
                _widths[i] = Math.Max(_widths[i], cells[i].Length);
            }
        }

        if (_headerDue)
        {
            _headerDue = false;
            WriteCells(output, names);
            var rule = new string[names.Length];
            for (var i = 0; i < rule.Length; i++)
            {
                rule[i] = new string('-', _widths[i]);
            }

            WriteCells(output, rule);
        }

        try
        {
            foreach (var row in _held)
            {
                WriteCells(output, Cells(row));
                DrainWhenFull(); // a large table goes out in chunks, not whole
            }
        }
        finally
        {
            _held.Clear(); // written, or lost with the output that failed: never written twice
        }
    }

    /// <summary>The reason a row's rule fired: <c>dns on udp/5353, expected 53</c> (the app cut as in its column).</summary>
    internal static string Reason(MismatchRow row)
    {
        if (row.Rule is not { } rule)
        {
            return "no rule claims this value";
        }

        var transports = row.Transports;
        var on = transports.IsEmpty || (transports.Length == 1 && transports[0] == Transport.Unknown)
            ? string.Empty
            : string.Join('+', transports.Select(t => t.ToName())) + "/";
        return Capped(string.Create(CultureInfo.InvariantCulture, $"{Capped(Printable(row.App), MaxCellWidth)} on {on}{row.DestinationPort}, expected {rule.ExpectedPorts}"), MaxReasonWidth);
    }

    /// <summary>The value, or its first <paramref name="width"/> - 1 characters and <c>…</c> when it is longer.</summary>
    internal static string Capped(string value, int width) => value.Length <= width ? value : string.Concat(value.AsSpan(0, width - 1), Cut);

    private string[] ColumnNames() => Options.IncludeWindow
        ? ["src_ip", "dest_ip", "app", "dest_port", "count", "firstTime", "lastTime", "rule", "window", "reason"]
        : ["src_ip", "dest_ip", "app", "dest_port", "count", "firstTime", "lastTime", "rule", "reason"];

    private string[] Cells(MismatchRow row)
    {
        var inv = CultureInfo.InvariantCulture;
        var cells = new string[Options.IncludeWindow ? 10 : 9];
        cells[0] = MismatchRow.FormatAddress(row.SourceAddress);
        cells[1] = MismatchRow.FormatAddress(row.DestinationAddress);
        cells[2] = Capped(Printable(row.App), MaxCellWidth);
        cells[3] = row.DestinationPort.ToString(inv);
        cells[4] = row.Count.ToString(inv);
        cells[5] = FormatTime(row.FirstTimeMicroseconds);
        cells[6] = FormatTime(row.LastTimeMicroseconds);
        cells[7] = Capped(Printable(row.Rule?.Id ?? "-"), MaxCellWidth);
        if (Options.IncludeWindow)
        {
            cells[8] = row.WindowStartMicroseconds is { } start ? FormatTime(start) : "-";
        }

        cells[^1] = Reason(row);
        return cells;
    }

    private void WriteCells(IBufferWriter<byte> output, string[] cells)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            // The last cell is not padded: no trailing spaces.
            WriteText(output, i == cells.Length - 1 ? cells[i] : cells[i].PadRight(_widths![i]) + "  ");
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
