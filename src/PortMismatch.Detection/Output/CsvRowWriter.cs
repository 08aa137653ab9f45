using System.Buffers;

namespace PortMismatch.Detection;

/// <summary>
/// Writes rows as the search's CSV: header <c>src_ip,dest_ip,app,dest_port,count,firstTime,lastTime</c> (plus
/// <c>windowStart,windowEnd</c> with <see cref="RowWriterOptions.IncludeWindow"/>), absent addresses as <c>null</c>, fields
/// quoted per RFC 4180 when they hold a comma, a quote or a line break.
/// </summary>
public sealed class CsvRowWriter : RowWriter
{
    /// <summary>The header line's columns, in order.</summary>
    public const string Header = "src_ip,dest_ip,app,dest_port,count,firstTime,lastTime";

    private const int ShortApp = 64;

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
        if (Options.IncludeWindow || Options.NewLine != "\n" || app.Length > ShortApp || app.AsSpan().IndexOfAny(",\"\r\n") >= 0)
        {
            return false;
        }

        // Two addresses, the app in UTF-8 (at most three bytes a character), a port and a count, two times and the separators.
        var span = output.GetSpan((2 * IPAddressValue.MaxFormattedLength) + (3 * ShortApp) + 5 + 20 + (2 * 19) + 7);
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
        _ = RowTime.TryFormat(row.FirstTimeMicroseconds, Options.TimeZone, span[at..], out written);
        at += written;
        span[at++] = (byte)',';
        _ = RowTime.TryFormat(row.LastTimeMicroseconds, Options.TimeZone, span[at..], out written);
        at += written;
        span[at++] = (byte)'\n';
        output.Advance(at);
        return true;
    }

    private static void WriteField(IBufferWriter<byte> output, string value)
    {
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
