using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Nats.Internal;

namespace PortMismatch.Detection.Nats;

/// <summary>
/// Reads a flow stream in one process (docs/SCALE-OUT.md's subjects and headers, no leases or checkpoints): every partition
/// or a given set, from the start or a sequence, until cancelled or, with <see cref="NatsFlowSourceOptions.StopAtEnd"/>,
/// until every partition is caught up. Each partition has an ephemeral consumer without acknowledgements (the server deletes it after 5 minutes unused) fetched in
/// batches of at most <see cref="NatsFlowSourceOptions.BatchSize"/> and its own decoder (IPFIX templates and Suricata
/// netflow pairing are per partition); the sink is called one batch at a time. For hosts that want one process; to share
/// a stream among processes, run workers.
/// </summary>
public sealed class NatsFlowSource : IFlowSource
{
    private static readonly TimeSpan WaitForMore = TimeSpan.FromSeconds(2);
    private readonly INatsJSContext _js;
    private readonly NatsFlowSourceOptions _options;
    private readonly IReadOnlyList<int> _partitions;
    private readonly NatsFlowDecoder[] _decoders;
    private long _messagesRead;

    /// <summary>Creates a source.</summary>
    /// <param name="js">The JetStream context of the connection to read on.</param>
    /// <param name="options">What to read, or <see langword="null"/> for <see cref="NatsFlowSourceOptions.Default"/>.</param>
    /// <param name="diagnostics">Receives rejected and skipped records, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public NatsFlowSource(INatsJSContext js, NatsFlowSourceOptions? options = null, Action<InputDiagnostic>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(js);
        _js = js;
        _options = options ?? NatsFlowSourceOptions.Default;
        _partitions = _options.Validate();
        _decoders = new NatsFlowDecoder[_partitions.Count];
        for (var i = 0; i < _decoders.Length; i++)
        {
            _decoders[i] = new NatsFlowDecoder(
                FormattableString.Invariant($"nats:{_options.Stream}/{_partitions[i]}"),
                diagnostics,
                _options.ZeekOptions,
                _options.SuricataOptions,
                _options.PanOsOptions,
                _options.IpfixOptions);
        }

        Name = $"nats:{_options.Stream}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    /// <remarks>A new object at each call: the sum of the partitions' counters.</remarks>
    public InputCounters Counters
    {
        get
        {
            var sum = new InputCounters();
            foreach (var decoder in _decoders)
            {
                sum.Add(decoder.Counters);
            }

            return sum;
        }
    }

    /// <summary>Gets the number of messages read so far, all partitions.</summary>
    public long MessagesRead => Interlocked.Read(ref _messagesRead);

    /// <inheritdoc/>
    /// <exception cref="NatsJSException">The stream does not exist, or the server refused a consumer.</exception>
    public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(1, 1);
        var readers = new Task[_partitions.Count];
        for (var i = 0; i < readers.Length; i++)
        {
            readers[i] = ReadPartitionAsync(i, sink, gate, failed);
        }

        try
        {
            await Task.WhenAll(readers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // cancelled: the way a live source ends
        }
    }

    private async Task ReadPartitionAsync(int index, IFlowRecordSink sink, SemaphoreSlim gate, CancellationTokenSource failed)
    {
        var cancellationToken = failed.Token;
        try
        {
            await Task.Yield();
            var consumer = await FilteredConsumer.CreateAsync(
                _js,
                _options.Stream,
                FormattableString.Invariant($"{_options.SubjectPrefix}.{_partitions[index]}.>"),
                _options.StartSequence,
                cancellationToken).ConfigureAwait(false);
            var decoder = _decoders[index];
            var batch = new List<INatsJSMsg<NatsMemoryOwner<byte>>>(_options.BatchSize);
            var fetch = new NatsJSFetchOpts { MaxMsgs = _options.BatchSize, Expires = WaitForMore };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var messages = _options.StopAtEnd
                    ? consumer.FetchNoWaitAsync(fetch, NatsRawSerializer<NatsMemoryOwner<byte>>.Default, cancellationToken)
                    : consumer.FetchAsync(fetch, NatsRawSerializer<NatsMemoryOwner<byte>>.Default, cancellationToken);
                await foreach (var message in messages.ConfigureAwait(false))
                {
                    batch.Add(message);
                }

                if (batch.Count == 0)
                {
                    if (_options.StopAtEnd)
                    {
                        return;
                    }

                    continue;
                }

                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    foreach (var message in batch)
                    {
                        using var data = message.Data;
                        string? format = null;
                        string? exporter = null;
                        if (message.Headers is { } headers)
                        {
                            headers.TryGetLastValue(NatsFlowFormats.FormatHeader, out format);
                            headers.TryGetLastValue(NatsFlowFormats.ExporterHeader, out exporter);
                        }

                        decoder.Decode(message.Subject, format, exporter, new System.Buffers.ReadOnlySequence<byte>(data.Memory), sink);
                    }
                }
                finally
                {
                    gate.Release();
                }

                Interlocked.Add(ref _messagesRead, batch.Count);
                batch.Clear();
            }
        }
        catch (Exception) when (!failed.IsCancellationRequested)
        {
            // One partition failed: stop the others, so that the read ends with this failure rather than hanging.
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }
}
