using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>What a worker's partition readers, its lease keeper and its merger share.</summary>
internal sealed class WorkerContext
{
    public WorkerContext(NatsWorkerOptions options, string workerId, INatsJSContext js, INatsKVStore leases, INatsKVStore checkpoints)
    {
        Options = options;
        WorkerId = workerId;
        JetStream = js;
        LeaseStore = leases;
        Checkpoints = checkpoints;
        Evaluator = new MismatchEvaluator(options.Rules);
        WindowMicroseconds = options.Window.Ticks / 10;
        LatenessMicroseconds = options.AllowedLateness.Ticks / 10;
        Aggregation = new AggregatorOptions { Window = options.Window, AllowedLateness = options.AllowedLateness };
        Config = ConfigText(options);
    }

    public NatsWorkerOptions Options { get; }

    private long _checkpointWrites;
    private long _checkpointTicks;

    /// <summary>Gets the checkpoint writes (compare-and-set, intents and commits of partitions and the merger's).</summary>
    public long CheckpointWrites => Interlocked.Read(ref _checkpointWrites);

    /// <summary>Gets the time spent in checkpoint writes, from the request to the server's reply.</summary>
    public TimeSpan CheckpointTime => TimeSpan.FromTicks(Interlocked.Read(ref _checkpointTicks));

    /// <summary>Called with the duration of each checkpoint write (the worker's histogram).</summary>
    public Action<TimeSpan>? CheckpointWritten { get; set; }

    /// <summary>The test hook of <see cref="NatsWorkerOptions.KillAt"/>, wrapped so that a kill stops the whole worker at once.</summary>
    public Action<int, WorkerKillPoint>? KillAt { get; set; }

    public string WorkerId { get; }

    public INatsJSContext JetStream { get; }

    public INatsKVStore LeaseStore { get; }

    public INatsKVStore Checkpoints { get; }

    public MismatchEvaluator Evaluator { get; }

    public AggregatorOptions Aggregation { get; }

    public long WindowMicroseconds { get; }

    public long LatenessMicroseconds { get; }

    /// <summary>What every worker of one stream must agree on (checked against each checkpoint): window, lateness, partitions, rules.</summary>
    public string Config { get; }

    public static NatsRawSerializer<byte[]> Bytes => NatsRawSerializer<byte[]>.Default;

    /// <summary>Publishes with a <c>Nats-Msg-Id</c> and waits for the stream's acknowledgement (a duplicate is a success).</summary>
    public async Task PublishAsync(string subject, byte[] payload, string messageId, CancellationToken cancellationToken)
    {
        var ack = await JetStream.PublishAsync(subject, payload, Bytes, new NatsJSPubOpts { MsgId = messageId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            ack.EnsureSuccess();
        }
        catch (NatsJSDuplicateMessageException)
        {
            // published before (a replay): the stream kept the first, which is the point of the id
        }
    }

    /// <summary>Writes a checkpoint by compare-and-set on <paramref name="revision"/> (0: the key must not exist); null when another writer came first.</summary>
    public async Task<ulong?> CompareAndSetAsync(string key, byte[] value, ulong revision, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = revision == 0
            ? await Checkpoints.TryCreateAsync(key, value, Bytes, cancellationToken).ConfigureAwait(false)
            : await Checkpoints.TryUpdateAsync(key, value, revision, Bytes, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        Interlocked.Increment(ref _checkpointWrites);
        Interlocked.Add(ref _checkpointTicks, elapsed.Ticks);
        CheckpointWritten?.Invoke(elapsed);
        if (result.Success)
        {
            return result.Value;
        }

        return result.Error is NatsKVWrongLastRevisionException or NatsKVCreateException or NatsKVKeyNotFoundException or NatsKVKeyDeletedException ? null : throw result.Error;
    }

    /// <summary>Reads a checkpoint: its value and revision, or (null, 0) when there is none.</summary>
    public async Task<(byte[]? Value, ulong Revision)> ReadCheckpointAsync(string key, CancellationToken cancellationToken)
    {
        var entry = await Checkpoints.TryGetEntryAsync(key, serializer: Bytes, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (entry.Success)
        {
            return (entry.Value.Value, entry.Value.Revision);
        }

        return entry.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException ? (null, 0) : throw entry.Error;
    }

    private static string ConfigText(NatsWorkerOptions options)
    {
        var rules = new StringBuilder();
        foreach (var rule in options.Rules)
        {
            rules.Append(rule.Id).Append('=').Append(rule.ExpectedPorts).Append('/').Append(rule.Transport?.ToName() ?? "any").Append(';');
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(rules.ToString())))[..16].ToLowerInvariant();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"window={options.Window.Ticks / 10}us lateness={options.AllowedLateness.Ticks / 10}us partitions={options.Partitions} rules={hash} partial-messages={options.PartialRowsPerMessage}rows/{PartialRow.MaxMessageBytes}B");
    }
}
