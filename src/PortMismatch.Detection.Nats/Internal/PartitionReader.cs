using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Reads one partition this worker holds the lease of, in segments committed by intent, output, commit
/// (docs/SCALE-OUT.md): a fresh aggregator per segment, partial rows with ids <c>&lt;p&gt;:&lt;start&gt;:&lt;end&gt;:&lt;index&gt;</c>,
/// the checkpoint's revision as the fencing token. A pending segment in the checkpoint is replayed first, exactly.
/// </summary>
internal sealed class PartitionReader : IDisposable
{
    private readonly WorkerContext _context;
    private readonly string _key;
    private readonly SegmentRows _rows = new();
    private readonly NatsFlowDecoder _decoder;
    private MismatchAggregator? _aggregator;
    private RecordTimes? _sink;
    private readonly FlowBatch _batch = new();
    private PullReader? _reader;
    private ulong _revision;
    private ulong _start;
    private ulong _end;
    private ulong? _replayEnd;
    private long _messages;
    private long _maxTime = long.MinValue;

    public PartitionReader(WorkerContext context, int partition)
    {
        _context = context;
        Partition = partition;
        _key = string.Create(CultureInfo.InvariantCulture, $"partition.{partition}");
        _decoder = new NatsFlowDecoder(string.Create(CultureInfo.InvariantCulture, $"{context.Options.Stream}/{partition}"), null);
    }

    public int Partition { get; }

    /// <summary>Set by the lease keeper: end the segment at the next message, commit it and stop (the lease is then released).</summary>
    public volatile bool ReleaseRequested;

    /// <summary>Gets the segments committed.</summary>
    public long SegmentsCommitted { get; private set; }

    /// <summary>Gets the messages read.</summary>
    public long MessagesRead { get; private set; }

    /// <summary>Gets the partition's messages in the stream not read yet, as of the last fetch.</summary>
    public long Lag => (long)(Volatile.Read(ref _reader)?.Pending ?? 0);

    /// <summary>Gets the decoder's counters.</summary>
    public InputCounters Counters => _decoder.Counters;

    /// <summary>
    /// Reads until <paramref name="stop"/> (then commits what it read, unless it is replaying a pending segment, which the
    /// next owner replays whole) or <see cref="ReleaseRequested"/>; <paramref name="lost"/> (the lease is gone) ends it at
    /// once, without a commit. Throws <see cref="PartitionLostException"/> when a compare-and-set fails.
    /// </summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken lost)
    {
        var options = _context.Options;
        var (value, revision) = await _context.ReadCheckpointAsync(_key, lost).ConfigureAwait(false);
        var checkpoint = value is null ? new PartitionCheckpoint(0, null, long.MinValue, _context.Config) : PartitionCheckpoint.Parse(value);
        if (checkpoint.Config != _context.Config)
        {
            throw new InvalidOperationException(
                $"partition {Partition} was checkpointed by a worker with other settings ({checkpoint.Config}) than this one ({_context.Config}): every worker of a stream must run the same window, lateness, partitions and rules");
        }

        _revision = revision;
        _start = _end = checkpoint.Sequence;
        _replayEnd = checkpoint.PendingEnd;
        _maxTime = checkpoint.Watermark == long.MinValue ? long.MinValue : checkpoint.Watermark + _context.LatenessMicroseconds;
        NewSegment();

        var reader = new PullReader(
            _context.JetStream,
            options.Stream,
            string.Create(CultureInfo.InvariantCulture, $"flows.{Partition}.>"),
            _start);
        Volatile.Write(ref _reader, reader);
        try
        {
            await ReadAsync(reader, stop, lost).ConfigureAwait(false);
        }
        finally
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(PullReader reader, CancellationToken stop, CancellationToken lost)
    {
        var options = _context.Options;
        var segmentClock = new Stopwatch();
        var idleClock = Stopwatch.StartNew();
        var idleReported = false;
        while (true)
        {
            if ((stop.IsCancellationRequested || ReleaseRequested) && _replayEnd is null)
            {
                if (_messages > 0)
                {
                    await CommitAsync(lost).ConfigureAwait(false);
                }

                return;
            }

            if (stop.IsCancellationRequested)
            {
                return; // mid-replay: the intent stays, and the next owner replays the whole segment
            }

            var batch = _batch;
            await reader.FetchAsync(batch, options.BatchSize, TimeSpan.FromSeconds(1), lost).ConfigureAwait(false);
            var got = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                var sequence = batch.StreamSequence(i);
                if (_replayEnd is { } replayEnd && sequence > replayEnd)
                {
                    await CommitAsync(lost).ConfigureAwait(false); // messages of the replayed segment were removed from the stream
                }

                _decoder.Decode(batch.Subject(i), batch.Format(i), batch.Exporter(i), batch.Payload(i), _sink!);
                if (_messages++ == 0)
                {
                    segmentClock.Restart();
                }

                _end = sequence;
                got++;
                MessagesRead++;
                if (_replayEnd is { } end ? sequence >= end : _messages >= options.SegmentRecords)
                {
                    await CommitAsync(lost).ConfigureAwait(false);
                }
            }

            if (got > 0)
            {
                idleClock.Restart();
                idleReported = false;
            }

            if (_replayEnd is null && _messages > 0 && segmentClock.Elapsed >= options.SegmentTime)
            {
                await CommitAsync(lost).ConfigureAwait(false);
            }

            if (_messages == 0 && !idleReported && idleClock.Elapsed >= options.IdleTimeout)
            {
                await PublishProgressAsync(idle: true, lost).ConfigureAwait(false);
                idleReported = true;
            }
        }
    }

    public void Dispose() => _aggregator?.Dispose();

    private void NewSegment()
    {
        _aggregator?.Dispose();
        _aggregator = new MismatchAggregator(_context.Evaluator, _rows, _context.Aggregation);
        _sink = new RecordTimes(_aggregator, this);
        _messages = 0;
    }

    /// <summary>Intent, output, commit of the segment (<see cref="_start"/>, <see cref="_end"/>].</summary>
    private async Task CommitAsync(CancellationToken lost)
    {
        var options = _context.Options;
        var config = _context.Config;
        var previousWatermark = Watermark(_maxTime);
        var intent = new PartitionCheckpoint(_start, _end, previousWatermark, config);
        _revision = await _context.CompareAndSetAsync(_key, intent.ToBytes(), _revision, lost).ConfigureAwait(false)
            ?? throw new PartitionLostException(Partition);
        _context.KillAt?.Invoke(Partition, WorkerKillPoint.AfterIntent);

        _aggregator!.Complete();
        var rows = _rows.TakeSorted();
        var messages = PartialRow.Pack(rows, Partition, options.PartialRowsPerMessage);
        var subject = string.Create(CultureInfo.InvariantCulture, $"findings.partial.{Partition}");
        var pending = new List<Task>(Math.Min(messages.Count, 256));
        for (var i = 0; i < messages.Count; i++)
        {
            if (i == messages.Count / 2 && i > 0)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
                _context.KillAt?.Invoke(Partition, WorkerKillPoint.AfterHalfRows);
            }

            var id = string.Create(CultureInfo.InvariantCulture, $"{Partition}:{_start}:{_end}:{i}");
            pending.Add(_context.PublishAsync(subject, messages[i], id, lost));
            if (pending.Count >= 256)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        await PublishProgressAsync(idle: false, lost).ConfigureAwait(false);

        var committed = new PartitionCheckpoint(_end, null, Watermark(_maxTime), config);
        _revision = await _context.CompareAndSetAsync(_key, committed.ToBytes(), _revision, lost).ConfigureAwait(false)
            ?? throw new PartitionLostException(Partition);
        _start = _end;
        _replayEnd = null;
        SegmentsCommitted++;
        NewSegment();
    }

    private Task PublishProgressAsync(bool idle, CancellationToken lost)
    {
        var output = new ArrayBufferWriter<byte>(96);
        new Progress(Partition, _end, Watermark(_maxTime), idle).Write(output);
        var id = string.Create(CultureInfo.InvariantCulture, $"{Partition}:{_end}:{(idle ? "idle" : "progress")}");
        return _context.PublishAsync(string.Create(CultureInfo.InvariantCulture, $"findings.progress.{Partition}"), output.WrittenSpan.ToArray(), id, lost);
    }

    private long Watermark(long maxTime) => maxTime == long.MinValue ? long.MinValue : maxTime - _context.LatenessMicroseconds;

    /// <summary>Feeds the segment's aggregator and keeps the latest record time.</summary>
    private sealed class RecordTimes(MismatchAggregator aggregator, PartitionReader reader) : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record)
        {
            if (record.TimestampMicroseconds > reader._maxTime)
            {
                reader._maxTime = record.TimestampMicroseconds;
            }

            aggregator.Add(record);
        }
    }
}

/// <summary>A compare-and-set on a partition's checkpoint failed: another worker owns it now.</summary>
internal sealed class PartitionLostException(int partition)
    : Exception($"partition {partition}: the checkpoint was written by another worker (the lease was lost)");
