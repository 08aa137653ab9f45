using System.Buffers;

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
            row.Rule?.Id ?? "-",
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

    /// <summary>App values come from the wire: control characters would move a terminal's cursor, so they are escaped.</summary>
    private static string Printable(string value)
        => value.AsSpan().IndexOfAnyInRange('\0', '\u001F') < 0 && !value.Contains('\u007F', StringComparison.Ordinal)
            ? value
            : string.Concat(value.Select(c => c < ' ' || c == '\u007F' ? $"\\x{(int)c:x2}" : c.ToString()));
}
