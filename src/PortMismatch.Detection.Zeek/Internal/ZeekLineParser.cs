using System.Text;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// Parses the lines of one Zeek input into records: header lines into its <see cref="ZeekReaderState"/>'s schema, data
/// lines (TSV in <c>ZeekLineParser.Tsv.cs</c>, JSON in <c>ZeekLineParser.Json.cs</c>) into <see cref="FlowRecord"/>s;
/// counts each line in the state's counters and reports rejected and skipped ones. One per state, holding the scratch
/// buffers the records point into.
/// </summary>
internal sealed partial class ZeekLineParser
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private readonly ZeekReaderState _state;
    private readonly Action<InputDiagnostic>? _diagnostics;
    private readonly TsvSchema _schema;
    private int[] _fieldBounds = [];
    private byte[]? _appScratch;

    // The separators FindTsvLine found in the line ProcessLine is given next (-1: none found, split the line).
    private int _foundSeparators = -1;
    private bool _foundAscii;

    /// <summary>Creates the parser of <paramref name="state"/>'s input.</summary>
    /// <param name="state">The state it reads into.</param>
    public ZeekLineParser(ZeekReaderState state)
    {
        _state = state;
        _diagnostics = state.Diagnostics;
        _schema = state.Schema;
        Options = state.Options;
        Counters = state.Counters;
    }

    private ZeekReaderOptions Options { get; }

    private InputCounters Counters { get; }

    private int MaxLineLength => Options.MaxLineLength;

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
    public int FindTsvLine(ReadOnlySpan<byte> text)
    {
        var fieldCount = _schema.FieldCount;
        if (_state.Format != ZeekLogFormat.Tsv || fieldCount == 0)
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

    /// <summary>Counts and reports a line longer than the limit.</summary>
    public void RejectTooLong(long length)
    {
        Counters.CountRead();
        if (_diagnostics is not null)
        {
            Reject(Reasons.LineTooLong, $"the line is longer than the limit of {Options.MaxLineLength} bytes ({length}{(_state.IsDiscarding ? "+" : string.Empty)} bytes)");
        }
        else
        {
            Counters.CountRejected(Reasons.LineTooLong);
        }
    }

    /// <summary>Handles one line (without its line feed). Returns whether it became <paramref name="record"/>.</summary>
    public bool ProcessLine(ReadOnlySpan<byte> line, out FlowRecord record)
    {
        record = default;
        var found = _foundSeparators;
        _foundSeparators = -1;
        if (_state.LineNumber == 1 && line.StartsWith(Utf8Bom))
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
            if (_state.WatchHeaderDirectives >= 0 && _state.LineNumber > _state.WatchHeaderDirectives && !line.StartsWith("#close"u8))
            {
                _state.MetHeaderDirective = true;
            }

            ApplyHeader(line);
            return false;
        }

        if (_state.Format == ZeekLogFormat.Unknown)
        {
            var first = line.IndexOfAnyExcept((byte)' ', (byte)'\t');
            if (first >= 0 && line[first] == (byte)'{')
            {
                _state.Format = ZeekLogFormat.Json;
            }
            else if (_schema.FieldCount > 0)
            {
                _state.Format = ZeekLogFormat.Tsv;
            }
            else
            {
                ThrowFormat(
                    ZeekFormatError.UnrecognizedFormat,
                    $"the input is neither Zeek TSV (a '#separator' header) nor Zeek JSON (one object per line); line 1 starts '{InputText.Escape(line)}'. For headerless zeek-cut output set ZeekReaderOptions.FieldNames.");
            }
        }

        return _state.Format == ZeekLogFormat.Json ? ParseJson(line, out record) : ParseTsv(line, found, out record);
    }

    private void ApplyHeader(ReadOnlySpan<byte> line)
    {
        _state.Format = ZeekLogFormat.Tsv;
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
        _diagnostics?.Invoke(new InputDiagnostic(RecordOutcome.Rejected, reason, message, _state.InputName, _state.ReportedLine, _state.LineOffset));
        return false;
    }

    private bool Skip(string reason, string? path)
    {
        Counters.CountSkipped(reason);
        _diagnostics?.Invoke(new InputDiagnostic(
            RecordOutcome.Skipped,
            reason,
            $"a record of the '{InputText.Escape(Encoding.UTF8.GetBytes(path ?? string.Empty))}' log, not conn",
            _state.InputName,
            _state.ReportedLine,
            _state.LineOffset));
        return false;
    }

    private void ThrowFormat(ZeekFormatError reason, string message)
    {
        var line = _state.ReportedLine;
        throw new ZeekFormatException(reason, $"{_state.InputName ?? "input"}:{line}: {message}", _state.InputName, line, _state.LineOffset);
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

            foreach (var b in scratch[..ZeekEscapes.Unescape(raw, scratch)])
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
            var written = ZeekEscapes.Unescape(raw, scratch[at..]);
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
            var written = ZeekEscapes.Unescape(raw, value);
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
