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
