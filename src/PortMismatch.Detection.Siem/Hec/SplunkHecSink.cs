using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PortMismatch.Detection.Siem.Internal;

namespace PortMismatch.Detection.Siem;

/// <summary>
/// Sends rows to a Splunk HTTP Event Collector (<c>/services/collector/event</c>), several events per request, with the
/// search's CIM field names. <see cref="OnRow"/> only queues the row; a background sender batches, retries with back-off
/// and jitter on busy replies, 5xx, timeouts and network errors, and with <see cref="SplunkHecOptions.UseAcknowledgement"/>
/// counts a row as sent only once the indexers acknowledge it.
/// </summary>
/// <remarks>
/// <para>
/// Memory is bounded by <see cref="SplunkHecOptions.QueueCapacity"/> rows whatever Splunk does: a row holds its place from
/// <see cref="OnRow"/> until it is sent or failed. When every place is taken, <see cref="OnRow"/> blocks the caller for at most
/// <see cref="SplunkHecOptions.EnqueueTimeout"/> (back-pressure on the aggregator, so a short stall of Splunk loses nothing),
/// then drops the row and counts it; until a place frees up, further rows are dropped without waiting, so that a collector
/// that is down costs the caller one wait, not one per row.
/// </para>
/// <para>
/// <see cref="OnCompletedAsync"/> (the end of a pipeline run) and <see cref="DisposeAsync"/> wait up to
/// <see cref="SplunkHecOptions.FlushTimeout"/> for every held row to be sent; what is still held then counts as failed.
/// Rows held when the process dies are lost: the queue is in memory.
/// </para>
/// </remarks>
public sealed class SplunkHecSink : IMismatchRowSink, IAsyncDisposable
{
    private const int MaxReplyBytes = 64 * 1024;

    private static readonly Action<ILogger, int, int, int?, string?, string, Exception?> LogRefused =
        LoggerMessage.Define<int, int, int?, string?, string>(LogLevel.Error, new EventId(1, "HecRefused"),
            "Splunk HEC refused a batch of {Rows} rows: HTTP {Status}, HEC code {Code} '{Text}'{Detail}; the rows count as failed.");

    private static readonly Action<ILogger, int, string, Exception?> LogGaveUp =
        LoggerMessage.Define<int, string>(LogLevel.Error, new EventId(2, "HecGaveUp"), "Splunk HEC: a batch of {Rows} rows failed: {Reason}.");

    private static readonly Action<ILogger, int, TimeSpan, string, Exception?> LogRetrying =
        LoggerMessage.Define<int, TimeSpan, string>(LogLevel.Warning, new EventId(3, "HecRetrying"), "Splunk HEC: retry {Attempt} in {Delay}: {Reason}.");

    private static readonly Action<ILogger, int, TimeSpan, Exception?> LogDropping =
        LoggerMessage.Define<int, TimeSpan>(LogLevel.Warning, new EventId(4, "HecDropping"),
            "Splunk HEC: the queue of {Capacity} rows stayed full for {Timeout}; rows are dropped (and counted) until a place frees up.");

    private static readonly Action<ILogger, string, Exception?> LogAckPollFailed =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(5, "HecAckPollFailed"), "Splunk HEC: polling acknowledgements failed: {Reason}.");

    private static readonly Action<ILogger, Exception?> LogNoAckId =
        LoggerMessage.Define(LogLevel.Warning, new EventId(6, "HecNoAckId"),
            "Splunk HEC: acknowledgement is on but the reply carried no ackId (is indexer acknowledgement enabled for the token?); accepted rows count as sent.");

    private readonly SplunkHecOptions _options;
    private readonly ILogger? _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _eventUri;
    private readonly Uri _ackUri;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly Channel<MismatchRow> _queue = Channel.CreateUnbounded<MismatchRow>(new() { SingleReader = true });
    private readonly SemaphoreSlim _places;
    private readonly HecEvent _event;
    private readonly ArrayBufferWriter<byte> _eventBuffer = new(1024);
    private readonly ArrayBufferWriter<byte> _batchBuffer = new(16 * 1024);
    private readonly Dictionary<long, Batch> _awaitingAck = [];
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;
    private CancellationTokenSource _abandon = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;
    private long _sent;
    private long _failed;
    private long _dropped;
    private long _pending;
    private long _batches;
    private long _retries;
    private long _maxPending;
    private volatile bool _saturated;
    private bool _warnedNoAckId;
    private long _nextAckPoll;
    private int _disposed;

    /// <summary>Creates a sink and starts its sender.</summary>
    /// <param name="options">The collector and the bounds.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it, never the token's value).</exception>
    public SplunkHecSink(SplunkHecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems("SplunkHecOptions.") is [var problem, ..])
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _options = options;
        _logger = options.Logger;
        _time = options.TimeProvider;
        RequestChannel = options.Channel ?? Guid.NewGuid();
        var root = options.Url.AbsoluteUri.EndsWith('/') ? options.Url : new Uri(options.Url.AbsoluteUri + "/");
        _eventUri = new Uri(root, "services/collector/event");
        _ackUri = new Uri(root, "services/collector/ack");
        _authorization = new AuthenticationHeaderValue("Splunk", options.Token);
        _places = new SemaphoreSlim(options.QueueCapacity, options.QueueCapacity);
        _event = new HecEvent(options);
        (_client, _ownsClient) = options.HttpClient is { } client ? (client, false)
            : options.Handler is { } handler ? (new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }, true)
            : (new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, true);
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>Gets the counters now (one consistent reading).</summary>
    public SplunkHecCounters Counters
    {
        get
        {
            lock (_gate)
            {
                return new()
                {
                    Received = _received,
                    Sent = _sent,
                    Failed = _failed,
                    Dropped = _dropped,
                    Pending = _pending,
                    Batches = _batches,
                    Retries = _retries,
                };
            }
        }
    }

    /// <summary>Gets the channel sent as <c>X-Splunk-Request-Channel</c> with acknowledgement.</summary>
    internal Guid RequestChannel { get; }

    /// <summary>Gets the most rows held at one time so far.</summary>
    internal long MaxPending
    {
        get
        {
            lock (_gate)
            {
                return _maxPending;
            }
        }
    }

    /// <summary>Queues the row for sending; blocks only while the queue is full (see the remarks of <see cref="SplunkHecSink"/>).</summary>
    /// <param name="row">The row.</param>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_places.Wait(0) && (_saturated || !_places.Wait(_options.EnqueueTimeout)))
        {
            if (!_saturated)
            {
                _saturated = true;
                if (_logger is not null)
                {
                    LogDropping(_logger, _options.QueueCapacity, _options.EnqueueTimeout, null);
                }
            }

            lock (_gate)
            {
                _received++;
                _dropped++;
            }

            return;
        }

        lock (_gate)
        {
            _received++;
            _pending++;
            _maxPending = Math.Max(_maxPending, _pending);
        }

        _ = _queue.Writer.TryWrite(row);
    }

    /// <summary>
    /// Waits until every held row is sent (acknowledged, with acknowledgement), at most <see cref="SplunkHecOptions.FlushTimeout"/>;
    /// rows still held then count as failed. The sink takes rows again afterwards (a pipeline run again).
    /// </summary>
    /// <param name="counters">The run's counters (not used).</param>
    /// <returns>A task that completes when nothing is held.</returns>
    public async ValueTask OnCompletedAsync(DetectionCounters counters) => await FlushAsync().ConfigureAwait(false);

    /// <summary>Flushes as <see cref="OnCompletedAsync"/> does, then stops the sender and releases the client it created.</summary>
    /// <returns>A task that completes when the sink is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await FlushAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sender.ConfigureAwait(false);
        if (_ownsClient)
        {
            _client.Dispose();
        }

        _stop.Dispose();
        _abandon.Dispose();
    }

    private async Task FlushAsync()
    {
        var deadline = _time.GetTimestamp() + (long)(_options.FlushTimeout.TotalSeconds * _time.TimestampFrequency);
        while (await WaitForChangeAsync(deadline).ConfigureAwait(false))
        {
        }

        if (Counters.Pending == 0)
        {
            return;
        }

        // The time is up: the sender fails what it holds (the request in flight is cancelled) and starts afresh.
        await _abandon.CancelAsync().ConfigureAwait(false);
        var afterAbandon = _time.GetTimestamp() + (long)(_options.RequestTimeout.TotalSeconds * _time.TimestampFrequency);
        while (await WaitForChangeAsync(afterAbandon).ConfigureAwait(false))
        {
        }
    }

    /// <summary>Waits for the next change of the counters while rows are held; false when none are held or the deadline passed.</summary>
    private async Task<bool> WaitForChangeAsync(long deadline)
    {
        var changed = Volatile.Read(ref _changed).Task;
        if (Counters.Pending == 0)
        {
            return false;
        }

        var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await changed.WaitAsync(left, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }

        return true;
    }

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        MismatchRow? carried = null;
        Task<bool>? rowsWaiting = null;
        while (true)
        {
            var abandon = _abandon.Token;
            Batch? batch = null;
            try
            {
                abandon.ThrowIfCancellationRequested();
                if (_options.UseAcknowledgement && _awaitingAck.Count > 0 && _time.GetTimestamp() >= _nextAckPoll)
                {
                    // Then on to the queue: a poll that takes longer than the interval must not starve the sending.
                    await PollAcknowledgementsAsync(abandon).ConfigureAwait(false);
                }

                batch = TakeBatch(reader, ref carried);
                if (batch is not null)
                {
                    lock (_gate)
                    {
                        _batches++;
                    }

                    await DeliverAsync(batch, abandon).ConfigureAwait(false);
                    continue;
                }

                if (reader.Completion.IsCompleted && _awaitingAck.Count == 0)
                {
                    return;
                }

                rowsWaiting ??= reader.WaitToReadAsync(_stop.Token).AsTask();
                var wait = _awaitingAck.Count > 0
                    ? _time.GetElapsedTime(_time.GetTimestamp(), _nextAckPoll)
                    : Timeout.InfiniteTimeSpan;
                if (wait == Timeout.InfiniteTimeSpan || wait > TimeSpan.Zero)
                {
                    await Task.WhenAny(rowsWaiting, Task.Delay(wait, _time, abandon)).ConfigureAwait(false);
                }

                if (rowsWaiting.IsCompleted)
                {
                    rowsWaiting = null;
                }
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                var failed = (batch?.Rows ?? 0) + (carried is null ? 0 : 1);
                carried = null;
                while (reader.TryRead(out _))
                {
                    failed++;
                }

                foreach (var waiting in _awaitingAck.Values)
                {
                    failed += waiting.Rows;
                }

                _awaitingAck.Clear();
                var old = _abandon;
                _abandon = new CancellationTokenSource();
                old.Dispose();
                Fail(failed, "the flush timeout ran out before they were delivered");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                rowsWaiting = null;
                if (reader.Completion.IsCompleted && !reader.TryPeek(out _) && carried is null && _awaitingAck.Count == 0)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Takes the queued rows that fit one request and formats them into its body; null when none is queued.</summary>
    private Batch? TakeBatch(ChannelReader<MismatchRow> reader, ref MismatchRow? carried)
    {
        _batchBuffer.ResetWrittenCount();
        var rows = 0;
        while (rows < _options.MaxBatchEvents)
        {
            MismatchRow? row;
            if (carried is not null)
            {
                (row, carried) = (carried, null);
            }
            else if (!reader.TryRead(out row))
            {
                break;
            }

            _eventBuffer.ResetWrittenCount();
            _event.Write(_eventBuffer, row);
            if (rows > 0 && _batchBuffer.WrittenCount + _eventBuffer.WrittenCount > _options.MaxBatchBytes)
            {
                carried = row;
                break;
            }

            _batchBuffer.Write(_eventBuffer.WrittenSpan);
            rows++;
        }

        if (rows == 0)
        {
            return null;
        }

        if (!_options.Gzip)
        {
            return new Batch(_batchBuffer.WrittenSpan.ToArray(), rows);
        }

        using var compressed = new MemoryStream(_batchBuffer.WrittenCount / 4);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(_batchBuffer.WrittenSpan);
        }

        return new Batch(compressed.ToArray(), rows);
    }

    /// <summary>Posts a batch until it is accepted, refused, or out of retries; accepted with acknowledgement, it waits for its ack.</summary>
    private async Task DeliverAsync(Batch batch, CancellationToken abandon)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await PostAsync(_eventUri, batch.Body, _options.Gzip, abandon).ConfigureAwait(false);
            if (reply.Accepted)
            {
                if (!_options.UseAcknowledgement)
                {
                    Settle(batch.Rows, sent: true);
                }
                else if (reply.AckId is { } ackId)
                {
                    batch.SentAt = _time.GetTimestamp();
                    _awaitingAck[ackId] = batch;
                    if (_awaitingAck.Count == 1)
                    {
                        _nextAckPoll = _time.GetTimestamp() + Ticks(_options.AcknowledgementPollInterval);
                    }
                }
                else
                {
                    if (!_warnedNoAckId && _logger is not null)
                    {
                        LogNoAckId(_logger, null);
                    }

                    _warnedNoAckId = true;
                    Settle(batch.Rows, sent: true);
                }

                return;
            }

            if (!reply.Retryable)
            {
                if (_logger is not null)
                {
                    LogRefused(_logger, batch.Rows, (int)reply.Status!.Value, reply.Code, reply.Text, reply.Detail, null);
                }

                Settle(batch.Rows, sent: false);
                return;
            }

            if (attempt >= _options.MaxRetries)
            {
                if (_logger is not null)
                {
                    LogGaveUp(_logger, batch.Rows, $"{reply.Describe()}, after {attempt} retries", null);
                }

                Settle(batch.Rows, sent: false);
                return;
            }

            var delay = Backoff(attempt);
            lock (_gate)
            {
                _retries++;
            }

            if (_logger is not null)
            {
                LogRetrying(_logger, attempt + 1, delay, reply.Describe(), null);
            }

            await Task.Delay(delay, _time, abandon).ConfigureAwait(false);
        }
    }

    /// <summary>Asks which batches are indexed; resends those past the timeout (a bounded number of times), then fails them.</summary>
    private async Task PollAcknowledgementsAsync(CancellationToken abandon)
    {
        var body = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteStartArray("acks"u8);
            foreach (var id in _awaitingAck.Keys)
            {
                json.WriteNumberValue(id);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        var reply = await PostAsync(_ackUri, body.WrittenSpan.ToArray(), gzip: false, abandon).ConfigureAwait(false);
        if (reply.Accepted && reply.Acks is { } acks)
        {
            foreach (var id in acks)
            {
                if (_awaitingAck.Remove(id, out var batch))
                {
                    Settle(batch.Rows, sent: true);
                }
            }
        }
        else if (!reply.Accepted && _logger is not null)
        {
            LogAckPollFailed(_logger, reply.Describe(), null);
        }

        var now = _time.GetTimestamp();
        List<Batch>? late = null;
        foreach (var (id, batch) in _awaitingAck)
        {
            if (now - batch.SentAt >= Ticks(_options.AcknowledgementTimeout))
            {
                (late ??= []).Add(batch);
                _awaitingAck.Remove(id);
            }
        }

        foreach (var batch in late ?? [])
        {
            if (batch.Resends >= _options.MaxAcknowledgementResends)
            {
                if (_logger is not null)
                {
                    LogGaveUp(_logger, batch.Rows, $"not acknowledged within {_options.AcknowledgementTimeout}, sent {batch.Resends + 1} times", null);
                }

                Settle(batch.Rows, sent: false);
                continue;
            }

            batch.Resends++;
            lock (_gate)
            {
                _retries++;
            }

            await DeliverAsync(batch, abandon).ConfigureAwait(false);
        }

        _nextAckPoll = _time.GetTimestamp() + Ticks(_options.AcknowledgementPollInterval);
    }

    /// <summary>Sends one request and reads HEC's reply (at most 64 KiB of it); a timeout or network error is a retryable reply.</summary>
    private async Task<Reply> PostAsync(Uri uri, byte[] body, bool gzip, CancellationToken abandon)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abandon);
        timeout.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = _authorization;
        if (_options.UseAcknowledgement)
        {
            request.Headers.Add("X-Splunk-Request-Channel", RequestChannel.ToString("D"));
        }

        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }

        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxReplyBytes];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                return Reply.Parse(response.StatusCode, buffer.AsSpan(0, length));
            }
        }
        catch (OperationCanceledException) when (!abandon.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            return Reply.Failure($"no reply within {_options.RequestTimeout}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return Reply.Failure(e.Message);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var doubled = _options.MinRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var ceiling = Math.Min(doubled, _options.MaxRetryDelay.TotalMilliseconds);

        // Half fixed, half random: a fleet of senders that Splunk turned away together does not come back together.
#pragma warning disable CA5394 // jitter, not security
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
#pragma warning restore CA5394
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private void Settle(int rows, bool sent)
    {
        lock (_gate)
        {
            if (sent)
            {
                _sent += rows;
            }
            else
            {
                _failed += rows;
            }

            _pending -= rows;
        }

        Release(rows);
    }

    private void Fail(long rows, string reason)
    {
        if (rows == 0)
        {
            return;
        }

        if (_logger is not null)
        {
            LogGaveUp(_logger, (int)rows, reason, null);
        }

        Settle((int)rows, sent: false);
    }

    private void Release(int rows)
    {
        _saturated = false;
        _places.Release(rows);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>A request body and how many rows it holds (kept until it is acknowledged, to send it again).</summary>
    private sealed class Batch(byte[] body, int rows)
    {
        public byte[] Body { get; } = body;

        public int Rows { get; } = rows;

        public long SentAt { get; set; }

        public int Resends { get; set; }
    }

    /// <summary>What a request came back with: HTTP status and HEC's <c>code</c>, <c>text</c>, <c>ackId</c>, <c>invalid-event-number</c>, or the acks.</summary>
    private sealed class Reply
    {
        public HttpStatusCode? Status { get; private init; }

        public int? Code { get; private init; }

        public string? Text { get; private init; }

        public long? AckId { get; private init; }

        public List<long>? Acks { get; private init; }

        public string Detail { get; private init; } = string.Empty;

        public string? Error { get; private init; }

        public bool Accepted => Status is { } status && (int)status is >= 200 and < 300;

        /// <summary>Busy (503: HEC codes 9, 18, 19, 20), any 5xx, 408, 429, a timeout or a network error.</summary>
        public bool Retryable => Status is not { } status || (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

        public static Reply Failure(string error) => new() { Error = error };

        public static Reply Parse(HttpStatusCode status, ReadOnlySpan<byte> body)
        {
            int? code = null;
            string? text = null;
            long? ackId = null;
            long? invalidEvent = null;
            List<long>? acks = null;
            try
            {
                var reader = new Utf8JsonReader(body);
                if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = reader.ValueSpan;
                        _ = reader.Read();
                        if (name.SequenceEqual("code"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var c))
                        {
                            code = c;
                        }
                        else if (name.SequenceEqual("text"u8) && reader.TokenType == JsonTokenType.String)
                        {
                            var value = reader.GetString()!;
                            text = value.Length <= 200 ? value : value[..200];
                        }
                        else if (name.SequenceEqual("ackId"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var a))
                        {
                            ackId = a;
                        }
                        else if (name.SequenceEqual("invalid-event-number"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
                        {
                            invalidEvent = n;
                        }
                        else if (name.SequenceEqual("acks"u8) && reader.TokenType == JsonTokenType.StartObject)
                        {
                            acks = [];
                            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                            {
                                var id = long.TryParse(reader.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : (long?)null;
                                _ = reader.Read();
                                if (id is { } indexed && reader.TokenType == JsonTokenType.True)
                                {
                                    acks.Add(indexed);
                                }
                            }
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // Not HEC's JSON (a proxy's page, a cut reply): the status alone decides.
            }

            return new()
            {
                Status = status,
                Code = code,
                Text = text,
                AckId = ackId,
                Acks = acks,
                Detail = invalidEvent is { } number ? $", invalid-event-number {number}" : string.Empty,
            };
        }

        public string Describe() => Error ?? $"HTTP {(int)Status!.Value}, HEC code {Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} '{Text}'{Detail}";
    }
}
