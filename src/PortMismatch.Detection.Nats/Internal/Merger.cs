using System.Buffers;
using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Siem.Internal;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// The merger (lease <c>merger</c>, one worker at a time): sums the partial rows per (window, key), keeps each partition's
/// watermark and idle flag, and makes a window final when every partition that is not idle is past its end. Final rows
/// (allow-list applied, in key order) go to <c>findings.final</c> with the finding id as <c>Nats-Msg-Id</c> and to the
/// host's sink; a partial row of a window already final is emitted at once as a late row with id
/// <c>&lt;finding id&gt;:late:&lt;FINDINGS sequence of the partial row&gt;</c>, which a replay gives again.
/// </summary>
internal sealed class Merger : IDisposable
{
    private const string Key = "merger";
    private readonly WorkerContext _context;
    private readonly SegmentRows _open = new();
    private RepeatFilter _segments = [];
    private readonly SortedDictionary<long, ulong> _firstSequenceByWindowEnd = [];

    /// <summary>The repeat filter as it was just before each open window's first row (what a checkpoint resuming there holds).</summary>
    private readonly Dictionary<long, RepeatFilter> _filterAtWindowStart = [];
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly JsonLinesRowWriter _writer;
    private MergerCheckpoint _state = new();
    private ulong _revision;
    private ulong _replayLast;

    public Merger(WorkerContext context)
    {
        _context = context;
        _writer = new JsonLinesRowWriter(_json);
    }

    /// <summary>Gets the final rows published (late rows included).</summary>
    public long RowsPublished { get; private set; }

    /// <summary>Gets the partial rows dropped as repeats of rows already merged (stored twice by the server).</summary>
    public long RepeatsDropped { get; private set; }

    /// <summary>Gets the windows made final before every partition had passed them, to keep within the merger's bounds.</summary>
    public long WindowsForcedFinal { get; private set; }

    /// <summary>
    /// Whether a partial row, by its <c>Nats-Msg-Id</c> <c>&lt;partition&gt;:&lt;start&gt;:&lt;end&gt;:&lt;index&gt;</c>, was merged
    /// already. The server's duplicate window is meant to drop a repeat, but nats-server before 2.10.25 does not do it
    /// deterministically on a replicated stream around leader elections (nats-server pull request 6415), and a stored
    /// repeat would be counted twice. A partition's segments end in increasing order and every copy of a segment's rows
    /// comes before the next segment's (a new owner replays the pending segment first), so per partition the merger keeps
    /// the newest segment's end and the indices seen of it: a row of an older segment, or an index seen, is a repeat.
    /// Bounded by one segment's rows per partition. The checkpoint holds this filter as it was just before the message a
    /// restarted merger resumes from (<see cref="_filterAtWindowStart"/>), so that a replay decides every message as the
    /// first run did, and a repeat whose first copy lies before the resume point is still known.
    /// </summary>
    private bool IsRepeat(string? id)
    {
        var parts = id?.Split(':');
        if (parts is not { Length: 4 }
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            || !ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }

        if (!_segments.TryGetValue(partition, out var segment) || end > segment.End)
        {
            _segments[partition] = (end, new IndexSet(index));
            return false;
        }

        return end < segment.End || !segment.Seen.Add(index);
    }

    /// <summary>Merges until <paramref name="stop"/> (then writes its checkpoint) or <paramref name="lost"/> (the lease is gone).</summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken lost)
    {
        var (value, revision) = await _context.ReadCheckpointAsync(Key, lost).ConfigureAwait(false);
        _revision = revision;
        _state = value is null ? new MergerCheckpoint { Config = _context.Config } : MergerCheckpoint.Parse(value);
        if (_state.Config != _context.Config)
        {
            throw new InvalidOperationException($"the merger's checkpoint was written with other settings ({_state.Config}) than this worker's ({_context.Config})");
        }

        if (_state.Partitions.Length != _context.Options.Partitions)
        {
            _state.Partitions = new PartitionProgress[_context.Options.Partitions];
        }

        _replayLast = _state.Last;
        _segments = _state.Repeats.Copy();
        // partial and progress, not findings.final: one filter (nats-server 2.9 takes one)
        var reader = new OrderedReader<byte[]>(_context.JetStream, _context.Options.FindingsStream, "findings.*.*", Math.Max(_state.Resume, 1) - 1, NatsRawSerializer<byte[]>.Default);
        try
        {
            await MergeAsync(reader, stop, lost).ConfigureAwait(false);
        }
        finally
        {
            await reader.DeleteAsync().ConfigureAwait(false);
        }
    }

    private async Task MergeAsync(OrderedReader<byte[]> reader, CancellationToken stop, CancellationToken lost)
    {
        var pending = new List<Task>();
        var rows = new List<MismatchRow>();
        while (!stop.IsCancellationRequested)
        {
            var got = 0;
            foreach (var message in await reader.FetchAsync(_context.Options.BatchSize, TimeSpan.FromSeconds(1), lost).ConfigureAwait(false))
            {
                var sequence = message.Metadata?.Sequence.Stream ?? throw new InvalidOperationException("a JetStream message without metadata");
                got++;
                if (message.Data is { } data)
                {
                    if (message.Subject.StartsWith("findings.partial.", StringComparison.Ordinal))
                    {
                        OnPartials(sequence, data, message.Headers?["Nats-Msg-Id"].ToString(), rows, pending, lost);
                    }
                    else if (message.Subject.StartsWith("findings.progress.", StringComparison.Ordinal) && Progress.TryRead(data, out var progress))
                    {
                        OnProgress(sequence, progress, pending, lost);
                    }
                }

                _state.Last = Math.Max(_state.Last, sequence);
                if (pending.Count >= 256)
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                    pending.Clear();
                }
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
            pending.Clear();
            if (got > 0)
            {
                await WriteCheckpointAsync(lost).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Merges the partial rows of one message. Every decision is made per message (the unit a replay starts from and the
    /// repeat filter knows): the filter as it was before the message is what a window it opens keeps, and the bounds are
    /// enforced after its last row, so a bound is passed by at most one message's rows.
    /// </summary>
    private void OnPartials(ulong sequence, byte[] data, string? id, List<MismatchRow> rows, List<Task> pending, CancellationToken lost)
    {
        rows.Clear();
        var opensWindow = false;
        // one row a line (MemoryExtensions.Split(T) is not in net8.0, which this package also targets)
        var rest = data.AsSpan();
        while (true)
        {
            var newline = rest.IndexOf((byte)'\n');
            if (PartialRow.TryRead(newline < 0 ? rest : rest[..newline], _context.Options.Rules, out _, out var row))
            {
                var end = row!.WindowEndMicroseconds!.Value;
                opensWindow |= end > _state.FinalEnd && !_firstSequenceByWindowEnd.ContainsKey(end);
                rows.Add(row);
            }

            if (newline < 0)
            {
                break;
            }

            rest = rest[(newline + 1)..];
        }

        var filterBefore = opensWindow ? _segments.Copy() : null;
        if (IsRepeat(id))
        {
            RepeatsDropped += rows.Count;
            return;
        }

        foreach (var row in rows)
        {
            OnPartial(sequence, row, filterBefore, pending, lost);
        }

        // bounded: past MaxOpenWindows or MaxOpenRows the oldest window is made final now, and what comes for it later
        // comes out as late rows that add to it (never during a replay, which must decide as the first run did)
        var options = _context.Options;
        while (sequence > _replayLast && _firstSequenceByWindowEnd.Count > 0
            && (_firstSequenceByWindowEnd.Count > options.MaxOpenWindows || _open.Count > options.MaxOpenRows))
        {
            MakeFinal(_firstSequenceByWindowEnd.First().Key, sequence, pending, lost);
            WindowsForcedFinal++;
        }
    }

    private void OnPartial(ulong sequence, MismatchRow row, RepeatFilter? filterBefore, List<Task> pending, CancellationToken lost)
    {
        var end = row.WindowEndMicroseconds!.Value;
        if (end > _state.FinalEnd)
        {
            _open.OnRow(row);
            if (_firstSequenceByWindowEnd.TryAdd(end, sequence))
            {
                _filterAtWindowStart[end] = filterBefore ?? _segments.Copy();
            }

            return;
        }

        if (sequence <= _replayLast && !WasFinalAt(end, sequence))
        {
            return; // replayed: this row is in the window's final rows already
        }

        var late = new MismatchRow(row.SourceAddress, row.DestinationAddress, row.App, row.DestinationPort, row.Count, row.FirstTimeMicroseconds, row.LastTimeMicroseconds, row.Rule, row.Transports)
        {
            WindowStartMicroseconds = row.WindowStartMicroseconds,
            WindowEndMicroseconds = end,
            IsLate = true,
        };
        Emit(late, string.Create(CultureInfo.InvariantCulture, $"{FindingId.Compute(late)}:late:{sequence}"), pending, lost);
    }

    /// <summary>Whether the window ending at <paramref name="end"/> was final when the message at <paramref name="sequence"/> was first merged.</summary>
    private bool WasFinalAt(long end, ulong sequence)
    {
        if (_state.FinalBeforeResume >= end)
        {
            return true;
        }

        foreach (var (finalEnd, at) in _state.Finalised)
        {
            if (finalEnd >= end && at < sequence)
            {
                return true;
            }
        }

        return false;
    }

    private void OnProgress(ulong sequence, Progress progress, List<Task> pending, CancellationToken lost)
    {
        var partitions = _state.Partitions;
        if ((uint)progress.Partition >= (uint)partitions.Length)
        {
            return;
        }

        var known = partitions[progress.Partition];
        if (known.Seen && (progress.Sequence < known.Sequence || (progress.Sequence == known.Sequence && known.Idle && !progress.Idle)))
        {
            return; // older than what is known (a replay)
        }

        partitions[progress.Partition] = new PartitionProgress(progress.Sequence, progress.Watermark, progress.Idle, true);
        var threshold = long.MaxValue;
        foreach (var p in partitions)
        {
            if (!p.Idle)
            {
                threshold = Math.Min(threshold, p.Seen ? p.Watermark : long.MinValue);
            }
        }

        var newFinalEnd = _state.FinalEnd;
        foreach (var end in _firstSequenceByWindowEnd.Keys)
        {
            if (end > threshold)
            {
                break;
            }

            newFinalEnd = end;
        }

        if (newFinalEnd > _state.FinalEnd)
        {
            MakeFinal(newFinalEnd, sequence, pending, lost);
        }
    }

    /// <summary>Emits the final rows of every open window ending at or before <paramref name="newFinalEnd"/>, made final by the message at <paramref name="sequence"/>.</summary>
    private void MakeFinal(long newFinalEnd, ulong sequence, List<Task> pending, CancellationToken lost)
    {
        foreach (var row in _open.TakeWindowsEndingBy(newFinalEnd))
        {
            if (_context.Options.AllowList.IndexOfMatch(row) < 0)
            {
                Emit(row, FindingId.Compute(row), pending, lost);
            }
        }

        while (_firstSequenceByWindowEnd.Count > 0 && _firstSequenceByWindowEnd.First().Key <= newFinalEnd)
        {
            var end = _firstSequenceByWindowEnd.First().Key;
            _firstSequenceByWindowEnd.Remove(end);
            _filterAtWindowStart.Remove(end);
        }

        _state.FinalEnd = newFinalEnd;
        _state.Finalised.Add((newFinalEnd, sequence));
    }

    private void Emit(MismatchRow row, string id, List<Task> pending, CancellationToken lost)
    {
        if (row.IsLate && _context.Options.AllowList.IndexOfMatch(row) >= 0)
        {
            return;
        }

        _json.ResetWrittenCount();
        _writer.OnRow(row);
        var written = _json.WrittenSpan;
        var payload = written[..^(written.Length > 0 && written[^1] == (byte)'\n' ? 1 : 0)].ToArray();
        pending.Add(_context.PublishAsync("findings.final", payload, id, lost));
        _context.Options.FinalRows?.OnRow(row);
        RowsPublished++;
    }

    public void Dispose() => _writer.Dispose();

    private async Task WriteCheckpointAsync(CancellationToken lost)
    {
        _state.Resume = _state.Last + 1;
        _state.Repeats = _segments;
        foreach (var (end, first) in _firstSequenceByWindowEnd)
        {
            if (first < _state.Resume)
            {
                _state.Resume = first;
                _state.Repeats = _filterAtWindowStart[end];
            }
        }
        _state.Finalised.RemoveAll(f =>
        {
            if (f.Sequence < _state.Resume)
            {
                _state.FinalBeforeResume = Math.Max(_state.FinalBeforeResume, f.End);
                return true;
            }

            return false;
        });
        _revision = await _context.CompareAndSetAsync(Key, _state.ToBytes(), _revision, lost).ConfigureAwait(false)
            ?? throw new PartitionLostException(-1);
    }
}
