using System.Buffers;
using System.Globalization;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace PortMismatch.Detection.Nats.Internal;

/// <summary>
/// Reads the messages of one subject filter of a stream in order, from a position this process owns, in bounded batches,
/// as <see cref="OrderedReader{T}"/> does, but with the pull protocol spoken directly (issue #20's throughput): pull
/// requests to <c>$JS.API.CONSUMER.MSG.NEXT.&lt;stream&gt;.&lt;consumer&gt;</c> answered on one core subscription
/// (<c>&lt;inbox&gt;.&lt;request number&gt;</c>, where the server's status messages come; deliveries keep their own subject), each delivery's sequences read from its reply subject, its payload copied
/// into a reused <see cref="FlowBatch"/>. NATS.Net's consumer API makes a message object, a header dictionary and a
/// metadata record per message; at a million messages that garbage cost more CPU than the detection.
/// The consumer is the same (<see cref="FilteredConsumer"/>: ephemeral, no acknowledgements, <c>filter_subject</c>), made
/// again from the last sequence read when it is lost, a status says it is gone, or a delivery skips.
/// </summary>
internal sealed class PullReader(INatsJSContext js, string stream, string filter, ulong startAfter) : IAsyncDisposable
{
    /// <summary>How much longer than the request's expiry the reader waits for the server's 408 before it gives up.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    /// <summary>The most bytes of messages one pull request asks for (eight partitions: 32 MiB, half the server's limit).</summary>
    private const int MaxBatchBytes = 4 * 1024 * 1024;

    private INatsJSConsumer? _consumer;
    private string? _nextSubject;
    private Delivery? _delivery;

    /// <summary>Gets the stream sequence of the last message read.</summary>
    public ulong Last { get; private set; } = startAfter;

    /// <summary>
    /// Gets the messages of the filter the stream holds after the last one read (the server's pending count of the last
    /// delivery; 0 after a fetch that found nothing). The lag: a number, never a buffer.
    /// </summary>
    public ulong Pending { get; private set; }

    /// <summary>Gets the consumers made (the first and every one made again after a loss or a skip).</summary>
    public int ConsumersMade { get; private set; }

    /// <summary>
    /// Fills <paramref name="batch"/> (cleared first) with up to <paramref name="max"/> messages, waiting up to
    /// <paramref name="expires"/> when there are none. Returns with what it has when the server ends the request, the
    /// consumer is lost or a delivery skips (the next call makes the consumer again from <see cref="Last"/>).
    /// </summary>
    public async Task FetchAsync(FlowBatch batch, int max, TimeSpan expires, CancellationToken cancellationToken)
    {
        batch.Clear();
        var reset = false;
        try
        {
            if (_consumer is null)
            {
                _consumer = await FilteredConsumer.CreateAsync(js, stream, filter, Last + 1, cancellationToken).ConfigureAwait(false);
                _nextSubject = string.Create(CultureInfo.InvariantCulture, $"{js.Opts.Prefix}.CONSUMER.MSG.NEXT.{stream}.{_consumer.Info.Name}");
                _delivery ??= await Delivery.SubscribeAsync(js.Connection, cancellationToken).ConfigureAwait(false);
                _delivery.Expect(Last);
                ConsumersMade++;
            }

            var request = _delivery!.Start(batch, max, Last);
            // max_bytes bounds a batch in bytes too: messages of many lines are large, and eight partitions' batches of them
            // in flight at once went past the server's 64 MiB of pending output per client, which closes the connection
            // as a slow consumer. Never below the largest message the server takes (a larger one would get a 409).
            var maxBytes = Math.Max(MaxBatchBytes, js.Connection.ServerInfo?.MaxPayload ?? 0);
            var body = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"batch\":{max},\"max_bytes\":{maxBytes},\"expires\":{expires.Ticks * 100}}}"));
            await js.Connection.PublishAsync(_nextSubject!, body, replyTo: request.ReplyTo, cancellationToken: cancellationToken).ConfigureAwait(false);
            var answered = true;
            try
            {
                await request.Done.Task.WaitAsync(expires + Margin, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No end of the request came: the consumer is gone without a word (nats-server 2.9 says nothing to the
                // requests of a consumer deleted under them), or the connection or the server was lost. Keep what arrived
                // and make the consumer again; the request's late messages are dropped.
                answered = false;
            }

            reset = _delivery.Finish(out var last, out var pending) || !answered;
            if (batch.Count > 0)
            {
                Last = last;
                Pending = pending;
            }
            else if (!reset)
            {
                Pending = 0; // the server ended the request with nothing to deliver: caught up
            }

            // else: nothing is known of what waits; the lag keeps its last value rather than claiming 0, so a reader that
            // cannot read (lost consumers, no answers) shows as behind, not as caught up
        }
        catch (NatsException) when (!cancellationToken.IsCancellationRequested)
        {
            reset = true;
        }

        if (reset)
        {
            await DeleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the server-side consumer (it would also go by itself after its inactivity threshold).</summary>
    public async Task DeleteAsync()
    {
        if (_consumer is { } consumer)
        {
            _consumer = null;
            await FilteredConsumer.DeleteAsync(js, stream, consumer).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the consumer and ends the subscription.</summary>
    public async ValueTask DisposeAsync()
    {
        await DeleteAsync().ConfigureAwait(false);
        if (_delivery is { } delivery)
        {
            _delivery = null;
            await delivery.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One pull request in flight: its reply subject and the completion the socket reader signals.</summary>
    internal sealed class Request(string replyTo)
    {
        public string ReplyTo { get; } = replyTo;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// The core subscription <c>&lt;inbox&gt;.*</c> that every pull request of one reader is answered on. Runs on the client's
    /// socket reader: it appends the current request's messages to its batch and completes the request on the server's
    /// end-of-request status (404, 408), a full batch, or anything that breaks the order (then the reader resets).
    /// </summary>
    internal sealed class Delivery : NatsSubBase
    {
        private readonly object _lock = new();
        private readonly string _prefix;
        private long _number;
        private string? _current;
        private Request? _request;
        private FlowBatch? _batch;
        private int _max;
        private bool _broken;
        private bool _gap;
        private ulong _consumerSequence;
        private ulong _last;
        private ulong _pending;

        private Delivery(INatsConnection connection, string inbox)
            : base(connection, connection.SubscriptionManager, inbox + ".*", queueGroup: null, opts: null)
            => _prefix = inbox + ".";

        public static async Task<Delivery> SubscribeAsync(INatsConnection connection, CancellationToken cancellationToken)
        {
            // Not connection.NewInbox(): a subject under the connection's own inbox prefix is routed through the client's
            // shared inbox subscription by exact subject, which a delivery (it keeps its stream subject) never matches.
            // Under the inbox prefix still, so that subscribe permissions written for _INBOX.> cover it.
            var delivery = new Delivery(connection, string.Create(CultureInfo.InvariantCulture, $"{connection.Opts.InboxPrefix}.pm{Guid.NewGuid():N}"));
            await connection.AddSubAsync(delivery, cancellationToken).ConfigureAwait(false);
            return delivery;
        }

        /// <summary>A new consumer: its deliveries start at consumer sequence 1.</summary>
        public void Expect(ulong last)
        {
            lock (_lock)
            {
                _consumerSequence = 0;
                _gap = false;
                _last = last;
            }
        }

        public Request Start(FlowBatch batch, int max, ulong last)
        {
            lock (_lock)
            {
                _current = string.Create(CultureInfo.InvariantCulture, $"{_prefix}{++_number}");
                _request = new Request(_current);
                _batch = batch;
                _max = max;
                _broken = false;
                _last = last;
                _pending = 0;
                return _request;
            }
        }

        /// <summary>Ends the request (late messages of it are dropped); returns whether the consumer must be made again.</summary>
        public bool Finish(out ulong last, out ulong pending)
        {
            lock (_lock)
            {
                _current = null;
                _request = null;
                _batch = null;
                last = _last;
                pending = _pending;
                return _broken;
            }
        }

        protected override ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
        {
            lock (_lock)
            {
                if (_request is not { } request)
                {
                    _gap = true; // a late message of a request given up, dropped: the reader resets at the next delivery
                    return default;
                }

                string? format = null, exporter = null;
                if (headersBuffer is { } headers)
                {
                    var status = JetStreamDelivery.StatusCode(headers);
                    if (status == 100 || (status != 0 && !string.Equals(subject, _current, StringComparison.Ordinal)))
                    {
                        return default; // a heartbeat, or the status of a request given up (status messages come on its reply subject)
                    }

                    if (status != 0)
                    {
                        // 404 No Messages, 408 Request Timeout end the request; anything else (409 Consumer Deleted, 503 No
                        // Responders, ...) also says the consumer must be made again
                        _broken |= status is not (404 or 408);
                        request.Done.TrySetResult();
                        return default;
                    }

                    JetStreamDelivery.FindFlowHeaders(headers, out format, out exporter);
                }

                // A delivery's subject is the message's own (flows.<p>.<format>), not the request's: requests are told apart by
                // order alone, which is all that matters, since every accepted delivery is the consumer's next one.
                if (replyTo is null
                    || !JetStreamDelivery.TryParseAckSubject(replyTo, out var streamSequence, out var consumerSequence, out var pending)
                    || consumerSequence != _consumerSequence + 1
                    || _gap
                    || _batch!.Count >= _max)
                {
                    _broken = true; // not a JetStream delivery, or one skipped: read again from the last good message
                    request.Done.TrySetResult();
                    return default;
                }

                _consumerSequence = consumerSequence;
                _last = streamSequence;
                _pending = pending;
                _batch.Add(streamSequence, subject, format, exporter, payloadBuffer);
                if (_batch.Count >= _max)
                {
                    request.Done.TrySetResult();
                }
            }

            return default;
        }

        protected override void TryComplete()
        {
            lock (_lock)
            {
                _broken = true;
                _request?.Done.TrySetResult();
            }
        }
    }
}
