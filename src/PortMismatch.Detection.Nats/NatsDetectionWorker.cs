using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using PortMismatch.Detection.Nats.Internal;

namespace PortMismatch.Detection.Nats;

/// <summary>
/// One worker of the scale-out (docs/SCALE-OUT.md): it takes its fair share of the stream's partitions by leases, reads
/// each in segments committed by intent, output and commit (partial rows with deterministic ids on
/// <c>findings.partial.&lt;p&gt;</c>), and, while it holds the <c>merger</c> lease, merges every partition's partial rows into
/// final rows on <c>findings.final</c> and <see cref="NatsWorkerOptions.FinalRows"/>. Any number of workers on any number of
/// machines share a stream; the final rows, summed by window and key, are those of one process reading every record, also
/// when a worker dies at any point.
/// </summary>
public sealed class NatsDetectionWorker : IAsyncDisposable
{
    /// <summary>The key-value bucket of leases and heartbeats (entries expire after the lease time to live).</summary>
    public const string LeaseBucket = "portmismatch-leases";

    /// <summary>The key-value bucket of checkpoints (no time to live; written by compare-and-set).</summary>
    public const string CheckpointBucket = "portmismatch-checkpoints";

    /// <summary>
    /// The name of the worker's <see cref="System.Diagnostics.Metrics"/> meter: <c>portmismatch.nats.lag</c> (messages of
    /// its partitions not read yet), <c>portmismatch.nats.messages_read</c>, <c>portmismatch.nats.segments_committed</c> and
    /// <c>portmismatch.nats.checkpoint.duration</c> (seconds per checkpoint write), each tagged <c>portmismatch.worker.id</c>.
    /// </summary>
    public const string MeterName = "PortMismatch.Detection.Nats";

    private readonly NatsWorkerOptions _options;
    private readonly INatsConnection _connection;
    private readonly bool _ownsConnection;
    private readonly Dictionary<int, Held> _partitions = [];
    private Held? _merger;
    private Merger? _mergerState;
    private int _running;
    private readonly Meter _meter;
    private readonly Histogram<double> _checkpointDuration;
    private readonly KeyValuePair<string, object?> _workerTag;
    private WorkerContext? _context;

    /// <summary>Creates a worker; nothing connects before <see cref="RunAsync"/>.</summary>
    /// <param name="options">The options (validated here).</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public NatsDetectionWorker(NatsWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        WorkerId = options.WorkerId ?? string.Create(CultureInfo.InvariantCulture, $"{Sanitize(Environment.MachineName)}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}");
        if (options.Connection is { } connection)
        {
            _connection = connection;
        }
        else
        {
            _connection = new NatsConnection(new NatsOpts { Url = string.Join(',', options.Urls), Name = $"portmismatch-worker-{WorkerId}" });
            _ownsConnection = true;
        }

        var version = typeof(NatsDetectionWorker).Assembly.GetName().Version?.ToString();
        _meter = options.MeterFactory?.Create(new MeterOptions(MeterName) { Version = version }) ?? new Meter(MeterName, version);
        _workerTag = new("portmismatch.worker.id", WorkerId);
        _meter.CreateObservableGauge("portmismatch.nats.lag", () => new Measurement<long>(Lag, _workerTag), "{message}", "Messages of the partitions this worker holds that the stream has and it has not read yet (as of each partition's last fetch).");
        _meter.CreateObservableCounter("portmismatch.nats.messages_read", () => new Measurement<long>(MessagesRead, _workerTag), "{message}", "Flow messages read.");
        _meter.CreateObservableCounter("portmismatch.nats.segments_committed", () => new Measurement<long>(SegmentsCommitted, _workerTag), "{segment}", "Segments committed (intent, output, commit).");
        _checkpointDuration = _meter.CreateHistogram<double>("portmismatch.nats.checkpoint.duration", "s", "Time of one checkpoint write (compare-and-set in the checkpoint bucket), request to reply.");
    }

    /// <summary>Gets this worker's name in the lease bucket.</summary>
    public string WorkerId { get; }

    /// <summary>Gets the partitions this worker holds now.</summary>
    public IReadOnlyList<int> Partitions
    {
        get
        {
            lock (_partitions)
            {
                var list = new List<int>(_partitions.Keys);
                list.Sort();
                return list;
            }
        }
    }

    /// <summary>Gets whether this worker is the merger now.</summary>
    public bool IsMerger => Volatile.Read(ref _merger) is not null;

    /// <summary>Gets the flow messages this worker has read (all partitions, since it started).</summary>
    public long MessagesRead => Interlocked.Read(ref _messagesRead) + SumPartitions(static r => r.MessagesRead);

    /// <summary>Gets the segments this worker has committed.</summary>
    public long SegmentsCommitted => Interlocked.Read(ref _segmentsCommitted) + SumPartitions(static r => r.SegmentsCommitted);

    /// <summary>
    /// Gets the lag: the messages of the partitions this worker holds that the stream holds and it has not read yet, as of
    /// each partition's last fetch. A worker keeps at most one batch per partition in memory however large this is.
    /// </summary>
    public long Lag => SumPartitions(static r => r.Lag);

    /// <summary>Gets the checkpoint writes this worker made (each an intent or a commit of a segment, or a merger checkpoint).</summary>
    public long CheckpointWrites => Volatile.Read(ref _context)?.CheckpointWrites ?? 0;

    /// <summary>Gets the time this worker spent in checkpoint writes, from request to reply (<see cref="CheckpointWrites"/> of them).</summary>
    public TimeSpan CheckpointTime => Volatile.Read(ref _context)?.CheckpointTime ?? TimeSpan.Zero;

    /// <summary>
    /// Gets the windows this worker, as the merger, made final before every partition had passed them, because
    /// <see cref="NatsWorkerOptions.MaxOpenWindows"/> or <see cref="NatsWorkerOptions.MaxOpenRows"/> was reached (their later rows
    /// come out as late rows).
    /// </summary>
    public long WindowsForcedFinal => _mergerState?.WindowsForcedFinal ?? 0;

    /// <summary>
    /// Gets the partial rows this worker, as the merger, dropped as repeats: stored twice under one <c>Nats-Msg-Id</c>, which
    /// nats-server before 2.10.25 can do on a replicated stream around a leader election.
    /// </summary>
    public long RepeatsDropped => _mergerState?.RepeatsDropped ?? 0;

    /// <summary>Gets the final and late rows this worker published as the merger.</summary>
    public long FinalRowsPublished => _mergerState?.RowsPublished ?? 0;

    /// <summary>A failure or a test's kill: stops every reader and the merger at once, without a commit.</summary>
    private readonly CancellationTokenSource _dead = new();
    private volatile bool _killed;
    private long _messagesRead;
    private long _commitsRefused;

    /// <summary>Gets the commits refused because another worker had written the checkpoint (the lease was lost).</summary>
    internal long CommitsRefused => Interlocked.Read(ref _commitsRefused);
    private long _segmentsCommitted;

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled; then commits what it read, releases its leases and
    /// returns. Makes the FINDINGS stream and the buckets when missing; the input stream must exist.
    /// </summary>
    /// <param name="cancellationToken">Stops the worker.</param>
    /// <returns>A task that completes when the worker has stopped.</returns>
    /// <exception cref="InvalidOperationException">A second run, a missing input stream, or a checkpoint written with other settings.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("A worker runs once.");
        }

        var js = new NatsJSContext(_connection);
        var context = await OpenWithRetriesAsync(js, cancellationToken).ConfigureAwait(false);
        context.CheckpointWritten = elapsed => _checkpointDuration.Record(elapsed.TotalSeconds, _workerTag);
        Volatile.Write(ref _context, context);
        var dead = _dead.Token;
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, dead);
        var failure = (Exception?)null;
        try
        {
            var interval = _options.LeaseTtl / 3;
            while (!wake.IsCancellationRequested)
            {
                failure = TakeFailure();
                if (failure is not null)
                {
                    break;
                }

                try
                {
                    await KeepLeasesAsync(context, cancellationToken, dead).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e) && !wake.IsCancellationRequested)
                {
                    // a server restarting or a leader being elected: the next round tries again; leases that could not be
                    // renewed meanwhile expire, and their partitions are taken again from their checkpoints
                }
                try
                {
                    await Task.Delay(interval, wake.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (wake.IsCancellationRequested)
        {
        }

        if (_killed)
        {
            await StopAllAsync(context, release: false).ConfigureAwait(false);
            return; // as after SIGKILL: leases expire, pending intents stay for the next owner
        }

        failure ??= TakeFailure();
        if (failure is not null)
        {
            await _dead.CancelAsync().ConfigureAwait(false);
        }

        await StopAllAsync(context, release: failure is null).ConfigureAwait(false);
        failure ??= TakeFailure();
        if (failure is not null and not WorkerKilledException)
        {
            throw new InvalidOperationException($"worker {WorkerId} failed: {failure.Message}", failure);
        }
    }

    /// <summary>Disposes the connection when the worker made it.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        _mergerState?.Dispose();
        _meter.Dispose();
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _dead.Dispose();
    }

    /// <summary>
    /// <see cref="OpenAsync"/>, tried again while JetStream does not answer (a meta-leader election, a replicated stream or
    /// bucket being placed on a loaded cluster: seen as "No API response received from the server" when two workers start
    /// at once on a three-node cluster), at most 10 times over about 40 s; other errors and the last one are thrown.
    /// </summary>
    private async Task<WorkerContext> OpenWithRetriesAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await OpenAsync(js, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < 10 && !cancellationToken.IsCancellationRequested
                && e is NatsJSApiNoResponseException or NatsNoRespondersException or NatsNoReplyException or TimeoutException
                    or NatsJSApiException { Error.Code: 503 })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500 * (1 << (attempt - 1)), 5_000)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<WorkerContext> OpenAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        try
        {
            await js.GetStreamAsync(_options.Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            throw new InvalidOperationException($"the input stream {_options.Stream} does not exist: publish to it first (portmismatch publish makes it)", e);
        }

        try
        {
            await js.CreateStreamAsync(
                new StreamConfig(_options.FindingsStream, ["findings.>"])
                {
                    NumReplicas = _options.Replicas,
                    DuplicateWindow = TimeSpan.FromMinutes(10),
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == 10058)
        {
            // exists (made by another worker, perhaps with other settings the operator chose)
        }

        var kv = new NatsKVContext(js);
        var leases = await LeaseStoreAsync(kv, cancellationToken).ConfigureAwait(false);
        var checkpoints = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(CheckpointBucket) { NumberOfReplicas = _options.Replicas }, cancellationToken).ConfigureAwait(false);
        var context = new WorkerContext(_options, WorkerId, js, leases, checkpoints);
        if (_options.KillAt is { } kill)
        {
            context.KillAt = (partition, point) =>
            {
                try
                {
                    kill(partition, point);
                }
                catch (WorkerKilledException)
                {
                    _killed = true;
                    _dead.Cancel();
                    throw;
                }
            };
        }

        return context;
    }

    /// <summary>
    /// The lease bucket: made with this worker's <see cref="NatsWorkerOptions.LeaseTtl"/> when missing, else taken as it is
    /// and its time to live checked, since it is the bucket's and every worker counts on it (a worker that updated it to
    /// its own would shorten or lengthen every other worker's leases without their knowing).
    /// </summary>
    private async Task<INatsKVStore> LeaseStoreAsync(NatsKVContext kv, CancellationToken cancellationToken)
    {
        INatsKVStore store;
        try
        {
            store = await kv.CreateStoreAsync(new NatsKVConfig(LeaseBucket) { MaxAge = _options.LeaseTtl, NumberOfReplicas = _options.Replicas }, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == 10058)
        {
            store = await kv.GetStoreAsync(LeaseBucket, cancellationToken).ConfigureAwait(false); // exists with another configuration
        }

        var ttl = (await store.GetStatusAsync(cancellationToken).ConfigureAwait(false)).Info.Config.MaxAge;
        if (ttl != _options.LeaseTtl)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"the lease bucket {LeaseBucket} has a time to live of {ttl.TotalSeconds:0.###} s and this worker's LeaseTtl is {_options.LeaseTtl.TotalSeconds:0.###} s: every worker of a stream must use the same (to change it, stop every worker and delete the bucket)"));
        }

        return store;
    }

    /// <summary>One round of the lease keeper: heartbeat, renewals, fair share, merger.</summary>
    private async Task KeepLeasesAsync(WorkerContext context, CancellationToken stop, CancellationToken dead)
    {
        var store = context.LeaseStore;
        var id = Encoding.UTF8.GetBytes(WorkerId);
        await store.PutAsync($"worker.{WorkerId}", id, WorkerContext.Bytes, stop).ConfigureAwait(false);

        foreach (var held in HeldNow())
        {
            if (held.Task.IsCompleted)
            {
                await ForgetAsync(context, held).ConfigureAwait(false);
                continue;
            }

            var renewed = await store.TryUpdateAsync(held.Key, id, held.Revision, WorkerContext.Bytes, stop).ConfigureAwait(false);
            if (renewed.Success)
            {
                held.Revision = renewed.Value;
            }
            else
            {
                await held.Lost.CancelAsync().ConfigureAwait(false); // another worker has it now: stop at once, commit nothing
            }
        }

        var live = 0;
        await foreach (var _ in store.GetKeysAsync(["worker.*"], cancellationToken: stop).ConfigureAwait(false))
        {
            live++;
        }

        var share = (_options.Partitions + Math.Max(live, 1) - 1) / Math.Max(live, 1);
        int count;
        lock (_partitions)
        {
            count = _partitions.Count;
        }

        for (var p = 0; p < _options.Partitions && count < share; p++)
        {
            lock (_partitions)
            {
                if (_partitions.ContainsKey(p))
                {
                    continue;
                }
            }

            var key = string.Create(CultureInfo.InvariantCulture, $"lease.{p}");
            var created = await store.TryCreateAsync(key, id, WorkerContext.Bytes, stop).ConfigureAwait(false);
            if (created.Success)
            {
                var reader = new PartitionReader(context, p);
                var held = new Held(key, created.Value, dead) { Reader = reader };
                held.Task = Task.Run(() => reader.RunAsync(stop, held.Lost.Token), CancellationToken.None);
                lock (_partitions)
                {
                    _partitions.Add(p, held);
                }

                count++;
            }
        }

        if (count > share)
        {
            var extra = count - share;
            foreach (var held in HeldNow().Where(static h => h.Reader is not null).OrderByDescending(static h => h.Reader!.Partition))
            {
                if (extra-- <= 0)
                {
                    break;
                }

                held.Reader!.ReleaseRequested = true; // ends with a commit; the next round releases the lease
            }
        }

        if (_merger is null)
        {
            var created = await store.TryCreateAsync("merger", id, WorkerContext.Bytes, stop).ConfigureAwait(false);
            if (created.Success)
            {
                var merger = new Merger(context);
                var held = new Held("merger", created.Value, dead);
                held.Task = Task.Run(() => merger.RunAsync(stop, held.Lost.Token), CancellationToken.None);
                _mergerState = merger;
                Volatile.Write(ref _merger, held);
            }
        }
    }

    private List<Held> HeldNow()
    {
        var list = new List<Held>();
        lock (_partitions)
        {
            list.AddRange(_partitions.Values);
        }

        if (_merger is { } merger)
        {
            list.Add(merger);
        }

        return list;
    }

    /// <summary>A partition reader or the merger has ended: its lease is given back (when still ours) and its counts kept.</summary>
    private async Task ForgetAsync(WorkerContext context, Held held)
    {
        if (held.Reader is { } reader)
        {
            lock (_partitions)
            {
                _partitions.Remove(reader.Partition);
            }

            Interlocked.Add(ref _messagesRead, reader.MessagesRead);
            Interlocked.Add(ref _segmentsCommitted, reader.SegmentsCommitted);
            reader.Dispose();
        }
        else
        {
            Volatile.Write(ref _merger, null);
        }

        if (held.Task.IsFaulted && held.Task.Exception!.InnerException is PartitionLostException)
        {
            Interlocked.Increment(ref _commitsRefused);
        }
        else if (held.Task.IsFaulted && !IsTransient(held.Task.Exception!.InnerException!))
        {
            _failure ??= held.Task.Exception.InnerException;
        }

        if (!held.Lost.IsCancellationRequested)
        {
            try
            {
                await context.LeaseStore.TryDeleteAsync(held.Key, new NatsKVDeleteOpts { Revision = held.Revision }).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                // unreachable: the lease expires after its time to live instead
            }
        }

        held.Lost.Dispose();
    }

    private Exception? _failure;

    private Exception? TakeFailure()
    {
        foreach (var held in HeldNow())
        {
            if (held.Task.IsFaulted && held.Task.Exception!.InnerException is { } e && !IsTransient(e))
            {
                _failure ??= e;
            }
        }

        return _failure;
    }

    /// <summary>
    /// Whether a failure ends one partition reader (or the merger) rather than the worker: a lost lease, a cancellation, or
    /// NATS being unreachable for a while (the partition is taken again from its checkpoint, which is exact). Settings that
    /// disagree with a checkpoint, and bugs, end the worker.
    /// </summary>
    private static bool IsTransient(Exception e)
        => e is PartitionLostException or OperationCanceledException or NatsException or TimeoutException;

    private async Task StopAllAsync(WorkerContext context, bool release)
    {
        foreach (var held in HeldNow())
        {
            try
            {
                await held.Task.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or PartitionLostException or WorkerKilledException || _killed)
            {
            }
            catch (Exception e) when (IsTransient(e))
            {
            }
            catch (InvalidOperationException e)
            {
                _failure ??= e;
            }

            if (release)
            {
                await ForgetAsync(context, held).ConfigureAwait(false);
            }
        }

        if (release)
        {
            try
            {
                await context.LeaseStore.TryDeleteAsync($"worker.{WorkerId}").ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                // unreachable: the heartbeat expires after the lease time to live instead
            }
        }
    }

    private long SumPartitions(Func<PartitionReader, long> value)
    {
        long sum = 0;
        foreach (var held in HeldNow())
        {
            if (held.Reader is { } reader)
            {
                sum += value(reader);
            }
        }

        return sum;
    }

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-');
        }

        return text.Length == 0 ? "worker" : text.ToString();
    }

    /// <summary>A lease this worker holds and the task that works under it.</summary>
    private sealed class Held(string key, ulong revision, CancellationToken dead)
    {
        public string Key { get; } = key;

        public ulong Revision { get; set; } = revision;

        public CancellationTokenSource Lost { get; } = CancellationTokenSource.CreateLinkedTokenSource(dead);

        public PartitionReader? Reader { get; init; }

        public Task Task { get; set; } = Task.CompletedTask;
    }
}
