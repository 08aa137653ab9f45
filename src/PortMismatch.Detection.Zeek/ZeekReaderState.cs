using System.Text;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek;

/// <summary>
/// What a Zeek reader carries from one buffer to the next: the header in force, the position (line, byte offset), the
/// counters and the scratch buffers. Create one per input and pass it to every <see cref="ZeekConnReader"/> over that
/// input (as <c>JsonReaderState</c> is passed between <c>Utf8JsonReader</c>s). Not thread-safe.
/// </summary>
public sealed partial class ZeekReaderState
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly TsvSchema _schema;
    private int[] _fieldBounds = [];
    private Func<long?>? _linesBefore;
    private byte[]? _lineBuffer;
    private byte[]? _appScratch;

    // The separators FindTsvLine found in the line ProcessLine is given next (-1: none found, split the line).
    private int _foundSeparators = -1;
    private bool _foundAscii;

    /// <summary>Creates the state for one input.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ZeekReaderOptions.Default"/>.</param>
    /// <param name="inputName">The input's name for diagnostics (a path, <c>stdin</c>), or <see langword="null"/>.</param>
    /// <param name="diagnostics">Receives each rejected or skipped record, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ZeekReaderOptions.MaxLineLength"/> is below the minimum.</exception>
    /// <exception cref="ArgumentException"><see cref="ZeekReaderOptions.FieldNames"/> lacks a needed column, or the separator is not one ASCII character.</exception>
    public ZeekReaderState(ZeekReaderOptions? options = null, string? inputName = null, Action<InputDiagnostic>? diagnostics = null)
    {
        Options = options ?? ZeekReaderOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxLineLength, ZeekReaderOptions.MinimumMaxLineLength, nameof(options));
        if (Options.FieldSeparator is > (char)0x7E or '\n' or '\r')
        {
            throw new ArgumentException("FieldSeparator must be one ASCII character other than a line break.", nameof(options));
        }

        InputName = inputName;
        _diagnostics = diagnostics;
        _schema = new TsvSchema((byte)Options.FieldSeparator);
        if (Options.FieldNames is { } fields && _schema.SetColumns(fields) != HeaderStatus.Ok)
        {
            throw new ArgumentException($"FieldNames cannot be read as a conn.log: {_schema.Detail}", nameof(options));
        }
    }

    /// <summary>Gets the options.</summary>
    public ZeekReaderOptions Options { get; }

    /// <summary>Gets the input's name used in diagnostics, if any.</summary>
    public string? InputName { get; }

    /// <summary>Gets the counters: <c>Read = Accepted + Rejected + Skipped</c> holds between calls.</summary>
    public InputCounters Counters { get; } = new();

    /// <summary>Gets the format detected from the first line (<see cref="ZeekLogFormat.Unknown"/> before it).</summary>
    public ZeekLogFormat Format { get; private set; }

    /// <summary>Gets the number of the last line started (1-based; header lines count).</summary>
    public long LineNumber { get; private set; }

    /// <summary>Gets the number of bytes of the input consumed so far.</summary>
    public long BytesConsumed { get; private set; }

    /// <summary>Gets the byte offset of the current line from the start of the input.</summary>
    internal long LineOffset { get; private set; }

    /// <summary>Gets whether the reader is skipping the rest of an over-long line that continues in the next buffer.</summary>
    internal bool IsDiscarding { get; set; }

    internal int MaxLineLength => Options.MaxLineLength;

    /// <summary>
    /// Whether a header directive other than <c>#close</c> came after the first <see cref="WatchHeaderDirectives"/> lines
    /// (a part of a file split without checking: the parts after it read with the file's first header, so they misread).
    /// </summary>
    internal bool MetHeaderDirective { get; private set; }

    /// <summary>The number of header lines that may come first (the split's header block), or -1 to watch nothing.</summary>
    internal long WatchHeaderDirectives { get; set; } = -1;

    /// <summary>The field bounds array, with room for <paramref name="fieldCount"/> fields (see <see cref="TsvFields"/>).</summary>
    private int[] FieldBounds(int fieldCount)
    {
        if (_fieldBounds.Length < fieldCount + 1 + FieldSplitter.Slack)
        {
            _fieldBounds = new int[fieldCount + 1 + FieldSplitter.Slack];
        }

        return _fieldBounds;
    }

    /// <summary>
    /// Once a TSV header is in force, finds the line at the start of <paramref name="text"/> and its separators in one
    /// pass (<see cref="FieldSplitter.FindLine"/>) and returns the index of its line feed; the next
    /// <see cref="ProcessLine"/> then uses the separators found. -1 when the caller must find the line itself.
    /// </summary>
    internal int FindTsvLine(ReadOnlySpan<byte> text)
    {
        var fieldCount = _schema.FieldCount;
        if (Format != ZeekLogFormat.Tsv || fieldCount == 0)
        {
            return -1;
        }

        var at = FieldSplitter.FindLine(text, _schema.Separator, FieldBounds(fieldCount).AsSpan(1, fieldCount - 1 + FieldSplitter.Slack), MaxLineLength, out var count, out var isAscii);
        if (at >= 0)
        {
            _foundSeparators = count;
            _foundAscii = isAscii;
        }

        return at;
    }

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
    private long ReportedLine => _linesBefore is null ? LineNumber : LineNumber + _linesBefore() ?? 0;

    internal Span<byte> LineBuffer(int length)
    {
        if (_lineBuffer is null || _lineBuffer.Length < length)
        {
            _lineBuffer = new byte[Math.Max(length, 4096)];
        }

        return _lineBuffer.AsSpan(0, length);
    }

    /// <summary>Counts and reports a line longer than the limit.</summary>
    internal void RejectTooLong(long length)
    {
        Counters.CountRead();
        if (_diagnostics is not null)
        {
            Reject(Reasons.LineTooLong, $"the line is longer than the limit of {Options.MaxLineLength} bytes ({length}{(IsDiscarding ? "+" : string.Empty)} bytes)");
        }
        else
        {
            Counters.CountRejected(Reasons.LineTooLong);
        }
    }

    /// <summary>Handles one line (without its line feed). Returns whether it became <paramref name="record"/>.</summary>
    internal bool ProcessLine(ReadOnlySpan<byte> line, out FlowRecord record)
    {
        record = default;
        var found = _foundSeparators;
        _foundSeparators = -1;
        if (LineNumber == 1 && line.StartsWith(Utf8Bom))
        {
            line = line[Utf8Bom.Length..];
        }

        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.IsEmpty)
        {
            return false;
        }

        if (line[0] == (byte)'#')
        {
            if (WatchHeaderDirectives >= 0 && LineNumber > WatchHeaderDirectives && !line.StartsWith("#close"u8))
            {
                MetHeaderDirective = true;
            }

            ApplyHeader(line);
            return false;
        }

        if (Format == ZeekLogFormat.Unknown)
        {
            var first = line.IndexOfAnyExcept((byte)' ', (byte)'\t');
            if (first >= 0 && line[first] == (byte)'{')
            {
                Format = ZeekLogFormat.Json;
            }
            else if (_schema.FieldCount > 0)
            {
                Format = ZeekLogFormat.Tsv;
            }
            else
            {
                ThrowFormat(
                    ZeekFormatError.UnrecognizedFormat,
                    $"the input is neither Zeek TSV (a '#separator' header) nor Zeek JSON (one object per line); line 1 starts '{InputText.Escape(line)}'. For headerless zeek-cut output set ZeekReaderOptions.FieldNames.");
            }
        }

        return Format == ZeekLogFormat.Json ? ParseJson(line, out record) : ParseTsv(line, found, out record);
    }

    private void ApplyHeader(ReadOnlySpan<byte> line)
    {
        Format = ZeekLogFormat.Tsv;
        switch (_schema.Apply(line, Options.AcceptAnyPath))
        {
            case HeaderStatus.Ok:
                break;
            case HeaderStatus.MissingColumns:
                ThrowFormat(ZeekFormatError.MissingColumns, $"not a readable conn.log header: {_schema.Detail}");
                break;
            default:
                ThrowFormat(ZeekFormatError.InvalidHeader, $"invalid header line: {_schema.Detail}");
                break;
        }
    }

    private void Accept() => Counters.CountAccepted();

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static long AddSaturating(long total, long value) => total > long.MaxValue - value ? long.MaxValue : total + value;

    private bool Reject(string reason, string what, ReadOnlySpan<byte> value) => Reject(reason, what, string.Empty, value);

    private bool Reject(string reason, string subject, string problem, ReadOnlySpan<byte> value)
    {
        if (_diagnostics is null)
        {
            Counters.CountRejected(reason);
            return false;
        }

        return Reject(reason, $"{subject}{problem} '{InputText.Escape(value)}'");
    }

    private bool Reject(string reason, string message)
    {
        Counters.CountRejected(reason);
        _diagnostics?.Invoke(new InputDiagnostic(RecordOutcome.Rejected, reason, message, InputName, ReportedLine, LineOffset));
        return false;
    }

    private bool Skip(string reason, string? path)
    {
        Counters.CountSkipped(reason);
        _diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Skipped,
            reason,
            $"a record of the '{InputText.Escape(Encoding.UTF8.GetBytes(path ?? string.Empty))}' log, not conn",
            InputName,
            ReportedLine,
            LineOffset));
        return false;
    }

    private void ThrowFormat(ZeekFormatError error, string message)
    {
        var line = ReportedLine;
        throw new ZeekFormatException(error, $"{InputName ?? "input"}:{line}: {message}", InputName, line, LineOffset);
    }

    /// <summary>
    /// Builds the app values from the raw <c>service</c> (and optionally <c>speculative_service</c>) text: split on each
    /// one's separator, removed analyzers (<c>-ftp</c>) dropped, <c>\xHH</c> escapes decoded. Points into the input when
    /// nothing needs changing, else into a scratch buffer where the values are joined by a byte that none of them holds.
    /// </summary>
    private bool TryComposeApps(ReadOnlySpan<byte> service, byte serviceSeparator, ReadOnlySpan<byte> speculative, byte speculativeSeparator, out AppValues apps)
    {
        if (speculative.IsEmpty && IsPlainSet(service, serviceSeparator))
        {
            apps = AppValues.Split(service, serviceSeparator);
            return true;
        }

        var needed = service.Length + speculative.Length + 2;
        if (_appScratch is null || _appScratch.Length < needed)
        {
            _appScratch = new byte[Math.Max(needed, 256)];
        }

        // The service's separator almost always serves as the joiner; when a decoded value holds it (an escaped comma),
        // the values are decoded once more to find a byte that none of them holds.
        var scratch = _appScratch.AsSpan();
        var joiner = serviceSeparator;
        var length = 0;
        if (!(TryAppendSet(service, serviceSeparator, joiner, scratch, ref length, 0)
            && TryAppendSet(speculative, speculativeSeparator, joiner, scratch, ref length, length)))
        {
            Span<ulong> used = stackalloc ulong[4];
            used.Clear();
            MarkBytes(service, serviceSeparator, scratch, used);
            MarkBytes(speculative, speculativeSeparator, scratch, used);
            if (!TryFindUnused(used, out joiner))
            {
                // Every byte occurs in some value: the values cannot be joined, but a single one needs no joiner.
                return TryTakeOnlyValue(service, serviceSeparator, speculative, speculativeSeparator, scratch, out apps);
            }

            length = 0;
            _ = TryAppendSet(service, serviceSeparator, joiner, scratch, ref length, 0);
            _ = TryAppendSet(speculative, speculativeSeparator, joiner, scratch, ref length, length);
        }

        apps = AppValues.Split(scratch[..length], joiner);
        return true;
    }

    /// <summary>Marks in a 256-bit set the bytes of the decoded values that <see cref="TryAppendSet"/> would keep.</summary>
    private static void MarkBytes(ReadOnlySpan<byte> set, byte setSeparator, Span<byte> scratch, Span<ulong> used)
    {
        foreach (var raw in AppValues.Split(set, setSeparator))
        {
            if (raw[0] == (byte)'-')
            {
                continue;
            }

            foreach (var b in scratch[..ZeekText.Unescape(raw, scratch)])
            {
                used[b >> 6] |= 1UL << b;
            }
        }
    }

    private static bool TryFindUnused(ReadOnlySpan<ulong> used, out byte unused)
    {
        for (var word = 0; word < used.Length; word++)
        {
            if (used[word] != ulong.MaxValue)
            {
                unused = (byte)((word * 64) + System.Numerics.BitOperations.TrailingZeroCount(~used[word]));
                return true;
            }
        }

        unused = 0;
        return false;
    }

    /// <summary>The values as one value taken whole, when every kept value (of both sets) is the same one; false otherwise.</summary>
    private static bool TryTakeOnlyValue(ReadOnlySpan<byte> service, byte serviceSeparator, ReadOnlySpan<byte> speculative, byte speculativeSeparator, Span<byte> scratch, out AppValues apps)
    {
        var length = -1;
        var same = IsOnlyValue(service, serviceSeparator, scratch, ref length) && IsOnlyValue(speculative, speculativeSeparator, scratch, ref length);
        apps = same && length > 0 ? AppValues.FromValue(scratch[..length]) : AppValues.None;
        return same;
    }

    /// <summary>Decodes the first kept value into <c>scratch[..length]</c> (length -1: none yet) and checks that the others equal it.</summary>
    private static bool IsOnlyValue(ReadOnlySpan<byte> set, byte setSeparator, Span<byte> scratch, ref int length)
    {
        foreach (var raw in AppValues.Split(set, setSeparator))
        {
            if (raw[0] == (byte)'-')
            {
                continue;
            }

            var at = Math.Max(length, 0);
            var written = ZeekText.Unescape(raw, scratch[at..]);
            if (length < 0)
            {
                length = written;
            }
            else if (!scratch.Slice(at, written).SequenceEqual(scratch[..length]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPlainSet(ReadOnlySpan<byte> set, byte setSeparator)
    {
        var valueStart = true;
        foreach (var b in set)
        {
            if (b == (byte)'\\' || (valueStart && b == (byte)'-'))
            {
                return false;
            }

            valueStart = b == setSeparator;
        }

        return true;
    }

    /// <summary>Appends the kept values of a set; values equal to one before <paramref name="dedupeEnd"/> are left out.</summary>
    private static bool TryAppendSet(ReadOnlySpan<byte> set, byte setSeparator, byte joiner, Span<byte> scratch, ref int length, int dedupeEnd)
    {
        while (!set.IsEmpty)
        {
            var at = set.IndexOf(setSeparator);
            var raw = at < 0 ? set : set[..at];
            set = at < 0 ? default : set[(at + 1)..];
            if (raw.IsEmpty || raw[0] == (byte)'-')
            {
                continue; // empty, or an analyzer Zeek removed after it failed: not a detected protocol
            }

            var value = scratch.Slice(length, raw.Length);
            var written = ZeekText.Unescape(raw, value);
            value = value[..written];
            if (value.Contains(joiner))
            {
                return false;
            }

            if (dedupeEnd > 0 && Contains(scratch[..dedupeEnd], joiner, value))
            {
                continue;
            }

            length += written;
            scratch[length++] = joiner;
        }

        return true;
    }

    private static bool Contains(ReadOnlySpan<byte> joined, byte joiner, ReadOnlySpan<byte> value)
    {
        foreach (var existing in AppValues.Split(joined, joiner))
        {
            if (existing.SequenceEqual(value))
            {
                return true;
            }
        }

        return false;
    }
}
