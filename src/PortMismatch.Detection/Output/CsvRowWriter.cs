using System.Buffers;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// Writes rows as the search's CSV: header <c>src_ip,dest_ip,app,dest_port,count,firstTime,lastTime</c> (plus
/// <c>windowStart,windowEnd</c> with <see cref="RowWriterOptions.IncludeWindow"/>), absent addresses as <c>null</c>, fields
/// quoted per RFC 4180 when they hold a comma, a quote or a line break.
/// </summary>
/// <remarks>
/// A spreadsheet runs a cell that starts with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c> as a formula (OWASP "CSV injection"),
/// and app values come from the wire. So where a cell may start inside the app field (at its start, or after a <c>;</c>, tab,
/// carriage return or line feed, which other delimiter settings read as cell or row ends) and, after any spaces, one of
/// <c>= + - @</c>, their full-width forms, a tab, CR, LF, NUL or <c>'</c> follows, a <c>'</c> is written first: spreadsheets
/// read the cell as text. Every other value, every ordinary app name among them, is written exactly as the search writes it.
/// The added <c>'</c> is the one at such a cell start (a <c>'</c> of the value there got one too, so dropping one there gives
/// the value back); <see cref="JsonLinesRowWriter"/> writes the value unchanged.
/// </remarks>
public sealed class CsvRowWriter : RowWriter
{
    /// <summary>The header line's columns, in order.</summary>
    public const string Header = "src_ip,dest_ip,app,dest_port,count,firstTime,lastTime";

    private const int ShortApp = 64;

    // What a field may hold only on the general path: what RFC 4180 quotes, and what ends a cell in other delimiter settings.
    private static readonly SearchValues<char> Special = SearchValues.Create(",\"\r\n;\t");

    private static readonly SearchValues<char> CellEnds = SearchValues.Create(";\t\r\n");

    /// <summary>Creates a writer over a stream with the default options.</summary>
    /// <param name="stream">The destination.</param>
    public CsvRowWriter(Stream stream)
        : base(stream, null)
    {
    }

    /// <summary>Creates a writer over a buffer writer with the default options.</summary>
    /// <param name="output">The destination.</param>
    public CsvRowWriter(IBufferWriter<byte> output)
        : base(output, null)
    {
    }

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public CsvRowWriter(Stream stream, RowWriterOptions? options)
        : base(stream, options)
    {
    }

    /// <summary>Creates a writer over a buffer writer.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public CsvRowWriter(IBufferWriter<byte> output, RowWriterOptions? options)
        : base(output, options)
    {
    }

    /// <inheritdoc/>
    protected override void WriteHeader(IBufferWriter<byte> output)
    {
        WriteText(output, Header);
        if (Options.IncludeWindow)
        {
            WriteText(output, ",windowStart,windowEnd");
        }

        WriteText(output, Options.NewLine);
    }

    /// <inheritdoc/>
    protected override void WriteRow(IBufferWriter<byte> output, MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(output);
        if (TryWriteShortRow(output, row))
        {
            return;
        }

        WriteAddress(output, row.SourceAddress);
        WriteBytes(output, ","u8);
        WriteAddress(output, row.DestinationAddress);
        WriteBytes(output, ","u8);
        WriteField(output, row.App);
        WriteBytes(output, ","u8);
        WriteNumber(output, row.DestinationPort);
        WriteBytes(output, ","u8);
        WriteNumber(output, row.Count);
        WriteBytes(output, ","u8);
        WriteTime(output, row.FirstTimeMicroseconds);
        WriteBytes(output, ","u8);
        WriteTime(output, row.LastTimeMicroseconds);
        if (Options.IncludeWindow)
        {
            WriteBytes(output, ","u8);
            if (row.WindowStartMicroseconds is { } start)
            {
                WriteTime(output, start);
            }

            WriteBytes(output, ","u8);
            if (row.WindowEndMicroseconds is { } end)
            {
                WriteTime(output, end);
            }
        }

        WriteText(output, Options.NewLine);
    }

    /// <summary>
    /// The common row (an app name of at most <see cref="ShortApp"/> characters that needs no quotes, no window columns, the
    /// default line end) formatted into one span: the general path asks the output for a span per piece, which made writing
    /// a large scan's rows a visible part of its serial tail. False, with nothing written, for any other row.
    /// </summary>
    private bool TryWriteShortRow(IBufferWriter<byte> output, MismatchRow row)
    {
        var app = row.App;
        if (Options.IncludeWindow || Options.NewLine != "\n" || app.Length > ShortApp || app.AsSpan().IndexOfAny(Special) >= 0
            || (app.Length > 0 && IsCellStartRisk(app[0])))
        {
            return false;
        }

        // Two addresses, the app in UTF-8 (at most three bytes a character), a port and a count, two times (with an offset, 25 bytes) and the separators.
        var span = output.GetSpan((2 * IPAddressValue.MaxFormattedLength) + (3 * ShortApp) + 5 + 20 + (2 * 25) + 7);
        var at = FormatAddress(span, row.SourceAddress);
        span[at++] = (byte)',';
        at += FormatAddress(span[at..], row.DestinationAddress);
        span[at++] = (byte)',';
        at += System.Text.Encoding.UTF8.GetBytes(app, span[at..]);
        span[at++] = (byte)',';
        _ = System.Buffers.Text.Utf8Formatter.TryFormat(row.DestinationPort, span[at..], out var written);
        at += written;
        span[at++] = (byte)',';
        _ = System.Buffers.Text.Utf8Formatter.TryFormat(row.Count, span[at..], out written);
        at += written;
        span[at++] = (byte)',';
        _ = RowTime.TryFormatWithOffset(row.FirstTimeMicroseconds, Options.TimeZone, span[at..], out written);
        at += written;
        span[at++] = (byte)',';
        _ = RowTime.TryFormatWithOffset(row.LastTimeMicroseconds, Options.TimeZone, span[at..], out written);
        at += written;
        span[at++] = (byte)'\n';
        output.Advance(at);
        return true;
    }

    /// <summary>
    /// The value with a <c>'</c> before each place where a spreadsheet could start a formula (see the remarks of the class),
    /// or the value itself when there is none.
    /// </summary>
    internal static string WithoutFormulaStarts(string value)
    {
        StringBuilder? text = null;
        var copied = 0;
        for (var start = 0; start <= value.Length; start = NextCellStart(value, start))
        {
            var at = start;
            while (at < value.Length && value[at] == ' ')
            {
                at++;
            }

            if (at < value.Length && IsFormulaStart(value[at]))
            {
                text ??= new StringBuilder(value.Length + 4);
                text.Append(value, copied, start - copied).Append('\'');
                copied = start;
            }
        }

        return text is null ? value : text.Append(value, copied, value.Length - copied).ToString();
    }

    /// <summary>The position after the next character that ends a cell in some delimiter setting, or past the end.</summary>
    private static int NextCellStart(string value, int start)
    {
        var at = value.AsSpan(start).IndexOfAny(CellEnds);
        return at < 0 ? value.Length + 1 : start + at + 1;
    }

    private static bool IsFormulaStart(char c) => c is '=' or '+' or '-' or '@' or '\t' or '\r' or '\n' or '\0' or '\'' or '"'
        or '\uFF1D' or '\uFF0B' or '\uFF0D' or '\uFF20';

    // A first character that may (after spaces) start a formula: the short path leaves such values to the general one.
    private static bool IsCellStartRisk(char c) => c == ' ' || IsFormulaStart(c);

    private static void WriteField(IBufferWriter<byte> output, string value)
    {
        value = WithoutFormulaStarts(value);
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            WriteText(output, value);
            return;
        }

        WriteBytes(output, "\""u8);
        WriteText(output, value.Replace("\"", "\"\"", StringComparison.Ordinal));
        WriteBytes(output, "\""u8);
    }
}
