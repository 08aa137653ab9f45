using System.Buffers;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// Base of the row writers: each row is formatted straight into an <see cref="IBufferWriter{T}"/> of bytes, or into a
/// buffer that is written to a <see cref="Stream"/> whenever it holds 32 KiB, so output never builds up in memory.
/// Call <see cref="Flush"/> or dispose at the end.
/// </summary>
public abstract class RowWriter : IMismatchRowSink, IDisposable
{
    private const int StreamChunk = 32 * 1024;

    private readonly Stream? _stream;
    private readonly ArrayBufferWriter<byte>? _buffer;
    private readonly IBufferWriter<byte> _output;
    private bool _started;
    private bool _disposed;

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    protected RowWriter(Stream stream, RowWriterOptions? options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _buffer = new ArrayBufferWriter<byte>(StreamChunk * 2);
        _output = _buffer;
        Options = options ?? RowWriterOptions.Default;
    }

    /// <summary>Creates a writer over a buffer writer.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    protected RowWriter(IBufferWriter<byte> output, RowWriterOptions? options)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        Options = options ?? RowWriterOptions.Default;
    }

    /// <summary>Gets the options.</summary>
    public RowWriterOptions Options { get; }

    /// <summary>Gets the number of rows written.</summary>
    public long RowsWritten { get; private set; }

    /// <inheritdoc/>
    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        ObjectDisposedException.ThrowIf(_disposed, this);
        StartOnce();
        WriteRow(_output, row);
        RowsWritten++;
        if (_buffer is not null && _buffer.WrittenCount >= StreamChunk)
        {
            Drain();
        }
    }

    /// <summary>Writes the header if no row came, and pushes buffered bytes to the stream.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StartOnce();
        WriteHeldRows(_output);
        Drain();
        _stream?.Flush();
    }

    /// <summary>
    /// At the end of a <see cref="DetectionPipeline"/> run: <see cref="Flush"/>es, so that the rows are in the stream even
    /// when the writer is not disposed before the process ends (a singleton instance in a DI container is not disposed).
    /// </summary>
    /// <param name="counters">The run's final counters (not used).</param>
    /// <returns>A completed task.</returns>
    public ValueTask OnCompletedAsync(DetectionCounters counters)
    {
        Flush();
        return ValueTask.CompletedTask;
    }

    /// <summary>Flushes and, unless <see cref="RowWriterOptions.LeaveOpen"/>, disposes the stream.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Flush();
        _disposed = true;
        if (!Options.LeaveOpen)
        {
            _stream?.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Writes what comes before the first row (nothing by default).</summary>
    /// <param name="output">The destination.</param>
    protected virtual void WriteHeader(IBufferWriter<byte> output)
    {
    }

    /// <summary>Writes one row.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="row">The row.</param>
    protected abstract void WriteRow(IBufferWriter<byte> output, MismatchRow row);

    /// <summary>Writes UTF-16 text as UTF-8.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="text">The text.</param>
    protected static void WriteText(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    /// <summary>Writes bytes.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="bytes">The bytes.</param>
    protected static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(bytes);
    }

    /// <summary>Writes an address, or <c>null</c> when absent, as the search prints it.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="address">The address.</param>
    protected static void WriteAddress(IBufferWriter<byte> output, IPAddressValue address)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(FormatAddress(output.GetSpan(IPAddressValue.MaxFormattedLength), address));
    }

    /// <summary>Formats an address, or <c>null</c> when absent, into at least <see cref="IPAddressValue.MaxFormattedLength"/> bytes.</summary>
    /// <returns>The number of bytes written.</returns>
    private protected static int FormatAddress(Span<byte> destination, IPAddressValue address)
    {
        if (!address.HasValue)
        {
            "null"u8.CopyTo(destination);
            return 4;
        }

        _ = address.TryFormat(destination, out var written);
        return written;
    }

    /// <summary>
    /// Writes a time in the search's format in the configured zone, followed by its ISO 8601 offset (<c>Z</c>, <c>+01:00</c>)
    /// when <see cref="RowWriterOptions.TimeZone"/> is set.
    /// </summary>
    /// <param name="output">The destination.</param>
    /// <param name="microseconds">The time in Unix microseconds.</param>
    protected void WriteTime(IBufferWriter<byte> output, long microseconds)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(32);
        _ = RowTime.TryFormatWithOffset(microseconds, Options.TimeZone, span, out var written);
        output.Advance(written);
    }

    /// <summary>The text <see cref="WriteTime"/> writes.</summary>
    private protected string FormatTime(long microseconds) => RowTime.FormatWithOffset(microseconds, Options.TimeZone);

    /// <summary>Pushes the buffered bytes to the stream once they fill a chunk, as <see cref="OnRow"/> does after each row.</summary>
    private protected void DrainWhenFull()
    {
        if (_buffer is not null && _buffer.WrittenCount >= StreamChunk)
        {
            Drain();
        }
    }

    /// <summary>Writes rows a writer held back (the table, which sizes its columns to them); called by <see cref="Flush"/>.</summary>
    private protected virtual void WriteHeldRows(IBufferWriter<byte> output)
    {
    }

    /// <summary>Writes a whole number.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="value">The number.</param>
    protected static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(20);
        _ = value.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private void StartOnce()
    {
        if (!_started)
        {
            _started = true;
            if (Options.IncludeHeader)
            {
                WriteHeader(_output);
            }
        }
    }

    private void Drain()
    {
        if (_buffer is null || _stream is null || _buffer.WrittenCount == 0)
        {
            return;
        }

        _stream.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }
}
