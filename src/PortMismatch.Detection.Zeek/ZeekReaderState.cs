using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek;

/// <summary>
/// What a Zeek reader carries from one buffer to the next: the options, the header in force, the position (line, byte
/// offset), the counters, and the scratch buffers the records point into. Create one per input and pass it to every
/// <see cref="ZeekConnReader"/> over that input (as <c>JsonReaderState</c> is passed between <c>Utf8JsonReader</c>s).
/// Not thread-safe.
/// </summary>
public sealed class ZeekReaderState
{
    private Func<long?>? _linesBefore;
    private byte[]? _lineBuffer;

    /// <summary>Creates the state for one input.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ZeekReaderOptions.Default"/>.</param>
    /// <param name="inputName">The input's name for diagnostics (a path, <c>stdin</c>), or <see langword="null"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ZeekReaderOptions.MaxLineLength"/> is below the minimum.</exception>
    /// <exception cref="ArgumentException"><see cref="ZeekReaderOptions.FieldNames"/> lacks a needed column, or the separator is not one ASCII character.</exception>
    public ZeekReaderState(ZeekReaderOptions? options = null, string? inputName = null, Action<InputDiagnostic>? diagnostics = null)
        : this(options, inputName, diagnostics, new InputCounters())
    {
    }

    /// <summary>Creates the state of one input counting into <paramref name="counters"/> (the files a follower reads in turn).</summary>
    internal ZeekReaderState(ZeekReaderOptions? options, string? inputName, Action<InputDiagnostic>? diagnostics, InputCounters counters)
    {
        Counters = counters;
        Options = options ?? ZeekReaderOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxLineLength, ZeekReaderOptions.MinimumMaxLineLength, nameof(options));
        if (Options.FieldSeparator is > (char)0x7E or '\n' or '\r')
        {
            throw new ArgumentException("FieldSeparator must be one ASCII character other than a line break.", nameof(options));
        }

        InputName = inputName;
        Diagnostics = diagnostics;
        Schema = new TsvSchema((byte)Options.FieldSeparator);
        if (Options.FieldNames is { } fields && Schema.SetColumns(fields) != HeaderStatus.Ok)
        {
            throw new ArgumentException($"FieldNames cannot be read as a conn.log: {Schema.Detail}", nameof(options));
        }

        Parser = new ZeekLineParser(this);
    }

    /// <summary>Gets the options.</summary>
    public ZeekReaderOptions Options { get; }

    /// <summary>Gets the input's name used in diagnostics, if any.</summary>
    public string? InputName { get; }

    /// <summary>Gets the counters: <c>Read = Accepted + Rejected + Skipped</c> holds between calls.</summary>
    public InputCounters Counters { get; }

    /// <summary>Gets the format detected from the first line (<see cref="ZeekLogFormat.Unknown"/> before it).</summary>
    public ZeekLogFormat Format { get; internal set; }

    /// <summary>Gets the number of the last line started (1-based; header lines count).</summary>
    public long LineNumber { get; private set; }

    /// <summary>Gets the number of bytes of the input consumed so far.</summary>
    public long BytesConsumed { get; private set; }

    /// <summary>Gets the byte offset of the current line from the start of the input.</summary>
    internal long LineOffset { get; private set; }

    /// <summary>Gets whether the reader is skipping the rest of an over-long line that continues in the next buffer.</summary>
    internal bool IsDiscarding { get; set; }

    internal int MaxLineLength => Options.MaxLineLength;

    /// <summary>Gets the diagnostics callback, or <see langword="null"/>.</summary>
    internal Action<InputDiagnostic>? Diagnostics { get; }

    /// <summary>Gets the TSV schema: the header in force (or <see cref="ZeekReaderOptions.FieldNames"/>).</summary>
    internal TsvSchema Schema { get; }

    /// <summary>Gets the parser of this input's lines.</summary>
    internal ZeekLineParser Parser { get; }

    /// <summary>
    /// Whether a header directive other than <c>#close</c> came after the first <see cref="WatchHeaderDirectives"/> lines
    /// (a part of a file split without checking: the parts after it read with the file's first header, so they misread).
    /// </summary>
    internal bool MetHeaderDirective { get; set; }

    /// <summary>The number of header lines that may come first (the split's header block), or -1 to watch nothing.</summary>
    internal long WatchHeaderDirectives { get; set; } = -1;

    internal void StartLine(long lengthWithTerminator)
    {
        LineNumber++;
        LineOffset = BytesConsumed;
        BytesConsumed += lengthWithTerminator;
    }

    internal void AddConsumed(long bytes) => BytesConsumed += bytes;

    /// <summary>
    /// Places a part of a split file: its bytes start <paramref name="bytes"/> further into the file than the reader
    /// counts, and <paramref name="linesBefore"/> gives, when a diagnostic first needs it, how many more lines precede it
    /// than the reader has seen (counting them costs a read of the file up to the part, so a clean part never pays it), or
    /// null when the file can no longer be read that far: diagnostics then report line 0 (unknown) and the exact offset.
    /// </summary>
    internal void PlaceInFile(long bytes, Func<long?> linesBefore)
    {
        BytesConsumed += bytes;
        _linesBefore = linesBefore;
    }

    /// <summary>The line number diagnostics report: <see cref="LineNumber"/>, plus the lines before a part of a split file.</summary>
    internal long ReportedLine => _linesBefore is null ? LineNumber : LineNumber + _linesBefore() ?? 0;

    internal Span<byte> LineBuffer(int length)
    {
        if (_lineBuffer is null || _lineBuffer.Length < length)
        {
            _lineBuffer = new byte[Math.Max(length, 4096)];
        }

        return _lineBuffer.AsSpan(0, length);
    }
}
