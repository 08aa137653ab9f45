using PortMismatch.Detection.Suricata.Internal;

namespace PortMismatch.Detection.Suricata;

/// <summary>
/// What a Suricata EVE reader carries from one buffer to the next: the options, the position (line, byte offset), the
/// counters, the recent <c>netflow</c> initiators (to tell their replies apart) and the scratch buffers the records point
/// into. Create one per input and pass it to every <see cref="SuricataEveReader"/> over that input (as
/// <c>JsonReaderState</c> is passed between <c>Utf8JsonReader</c>s). Not thread-safe.
/// </summary>
public sealed class SuricataReaderState
{
    private byte[]? _lineBuffer;

    /// <summary>Creates the state for one input.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SuricataReaderOptions.Default"/>.</param>
    /// <param name="inputName">The input's name for diagnostics (a path, <c>stdin</c>), or <see langword="null"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SuricataReaderOptions.MaxLineLength"/> is below the minimum.</exception>
    public SuricataReaderState(SuricataReaderOptions? options = null, string? inputName = null, Action<InputDiagnostic>? diagnostics = null)
    {
        Options = options ?? SuricataReaderOptions.Default;
        if (Options.MaxLineLength < SuricataReaderOptions.MinimumMaxLineLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                Options.MaxLineLength,
                $"MaxLineLength must be at least {SuricataReaderOptions.MinimumMaxLineLength}.");
        }

        InputName = inputName;
        Diagnostics = diagnostics;
        Parser = new EveLineParser(this);
    }

    /// <summary>Gets the options.</summary>
    public SuricataReaderOptions Options { get; }

    /// <summary>Gets the input's name used in diagnostics, if any.</summary>
    public string? InputName { get; }

    /// <summary>Gets the counters: <c>Read = Accepted + Rejected + Skipped</c> holds between calls.</summary>
    public InputCounters Counters { get; } = new();

    /// <summary>Gets the number of the last line started (1-based).</summary>
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

    /// <summary>Gets the parser of this input's lines.</summary>
    internal EveLineParser Parser { get; }

    internal void StartLine(long lengthWithTerminator)
    {
        LineNumber++;
        LineOffset = BytesConsumed;
        BytesConsumed += lengthWithTerminator;
    }

    internal void AddConsumed(long bytes) => BytesConsumed += bytes;

    internal Span<byte> LineBuffer(int length)
    {
        if (_lineBuffer is null || _lineBuffer.Length < length)
        {
            _lineBuffer = new byte[Math.Max(length, 4096)];
        }

        return _lineBuffer.AsSpan(0, length);
    }
}
