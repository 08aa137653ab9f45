using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Siem.Tests.Support;

/// <summary>
/// A Splunk HTTP Event Collector for tests: a small HTTP/1.1 server on 127.0.0.1 (port 0, keep-alive, Content-Length
/// bodies) that checks <c>Authorization: Splunk &lt;token&gt;</c> and answers with the codes of HEC's reply table
/// (../shared/corpus/splunk-hec: 0 success with or without ackId, 2/3 401, 4 403, 9 503 busy, 6 400 with
/// invalid-event-number, 10 400 channel missing, 17 health). It can be told to fail: close connections, stall, be busy
/// N times, refuse the token, reject an event, hold acknowledgements.
/// </summary>
internal sealed class HecTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _nextAckId = [];
    private readonly HashSet<(string Channel, long Id)> _pendingAcks = [];
    private readonly TaskCompletionSource _stallReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _busy;
    private int _closes;

    public HecTestServer(string token)
    {
        Token = token;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public string Token { get; }

    public Uri Url { get; }

    /// <summary>Gets every request in arrival order (event, ack and health requests alike).</summary>
    public ConcurrentQueue<HecRequest> Requests { get; } = new();

    /// <summary>Gets the events of the accepted event requests, in order.</summary>
    public ConcurrentQueue<JsonElement> Events { get; } = new();

    /// <summary>Gets or sets whether a wrong token is answered 401 "Invalid authorization" (code 3) instead of 403 "Invalid token" (code 4).</summary>
    public bool WrongTokenIs401 { get; set; }

    /// <summary>Gets or sets whether the token has indexer acknowledgement: the channel header is required and replies carry an ackId.</summary>
    public bool AckEnabled { get; set; }

    /// <summary>Gets or sets whether ack polls report pending ids as indexed (false: they stay false until this is set).</summary>
    public bool AcksIndexed { get; set; } = true;

    /// <summary>Gets or sets the 1-based number of the event every event request rejects with 400 code 6, or 0.</summary>
    public int RejectEventNumber { get; set; }

    /// <summary>Gets or sets whether event requests get no reply until <see cref="ReleaseStall"/> or disposal.</summary>
    public bool Stall { get; set; }

    /// <summary>Gets the number of event requests that were stalled.</summary>
    public int Stalled => Volatile.Read(ref _stalledCount);

    private int _stalledCount;

    /// <summary>Answers the next <paramref name="times"/> event requests 503 "Server is busy" (code 9).</summary>
    public void BusyFor(int times) => Volatile.Write(ref _busy, times);

    /// <summary>Closes the connection without a reply on the next <paramref name="times"/> event requests.</summary>
    public void CloseFor(int times) => Volatile.Write(ref _closes, times);

    public void ReleaseStall()
    {
        Stall = false;
        _stallReleased.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stallReleased.TrySetResult();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new List<byte>();
        var chunk = new byte[8192];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int headerEnd;
                while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
                {
                    var read = await stream.ReadAsync(chunk, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    buffer.AddRange(chunk.AsSpan(0, read));
                }

                var head = Encoding.ASCII.GetString([.. buffer.GetRange(0, headerEnd)]).Split("\r\n");
                buffer.RemoveRange(0, headerEnd + 4);
                var requestLine = head[0].Split(' ');
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var line in head.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }

                var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
                while (buffer.Count < length)
                {
                    var read = await stream.ReadAsync(chunk, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    buffer.AddRange(chunk.AsSpan(0, read));
                }

                var raw = buffer.GetRange(0, length).ToArray();
                buffer.RemoveRange(0, length);
                var request = new HecRequest(requestLine[0], requestLine[1], headers, raw);
                Requests.Enqueue(request);
                var reply = await AnswerAsync(request);
                if (reply is null)
                {
                    return; // close without a reply
                }

                var body = Encoding.UTF8.GetBytes(reply.Value.Body);
                var status = reply.Value.Status;
                var response = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {(int)status} {status}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {body.Length}\r\n\r\n");
                await stream.WriteAsync(response, _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the server stops.
        }
    }

    private async Task<(HttpStatusCode Status, string Body)?> AnswerAsync(HecRequest request)
    {
        if (request.Path == "/services/collector/health")
        {
            return (HttpStatusCode.OK, """{"text":"HEC is healthy","code":17}""");
        }

        if (!request.Headers.TryGetValue("Authorization", out var authorization))
        {
            return (HttpStatusCode.Unauthorized, """{"text":"Token is required","code":2}""");
        }

        if (authorization != $"Splunk {Token}")
        {
            return WrongTokenIs401
                ? (HttpStatusCode.Unauthorized, """{"text":"Invalid authorization","code":3}""")
                : (HttpStatusCode.Forbidden, """{"text":"Invalid token","code":4}""");
        }

        request.Headers.TryGetValue("X-Splunk-Request-Channel", out var channel);
        if (AckEnabled && channel is null)
        {
            return (HttpStatusCode.BadRequest, """{"text":"Data channel is missing","code":10}""");
        }

        if (request.Path == "/services/collector/ack")
        {
            return AnswerAck(request, channel);
        }

        if (request.Path != "/services/collector/event")
        {
            return (HttpStatusCode.NotFound, """{"text":"The requested URL was not found on this server.","code":404}""");
        }

        if (Interlocked.Decrement(ref _closes) >= 0)
        {
            return null;
        }

        if (Stall)
        {
            Interlocked.Increment(ref _stalledCount);
            await _stallReleased.Task;
            if (_stop.IsCancellationRequested)
            {
                return null;
            }
        }

        if (Interlocked.Decrement(ref _busy) >= 0)
        {
            return (HttpStatusCode.ServiceUnavailable, """{"text":"Server is busy","code":9}""");
        }

        var events = request.Events();
        if (events.Count == 0)
        {
            return (HttpStatusCode.BadRequest, """{"text":"No data","code":5}""");
        }

        if (RejectEventNumber > 0 && RejectEventNumber <= events.Count)
        {
            return (HttpStatusCode.BadRequest, $$"""{"text":"Invalid data format","code":6,"invalid-event-number":{{RejectEventNumber - 1}}}""");
        }

        foreach (var e in events)
        {
            if (!e.TryGetProperty("event", out _))
            {
                return (HttpStatusCode.BadRequest, """{"text":"Event field is required","code":12}""");
            }
        }

        foreach (var e in events)
        {
            Events.Enqueue(e);
        }

        if (!AckEnabled)
        {
            return (HttpStatusCode.OK, """{"text":"Success","code":0}""");
        }

        long id;
        lock (_gate)
        {
            id = _nextAckId.GetValueOrDefault(channel!);
            _nextAckId[channel!] = id + 1;
            _pendingAcks.Add((channel!, id));
        }

        return (HttpStatusCode.OK, $$"""{"text":"Success","code":0,"ackId":{{id}}}""");
    }

    /// <summary>As Splunk (and Vector's HEC) do: an id reports true once, then is forgotten.</summary>
    private (HttpStatusCode, string) AnswerAck(HecRequest request, string? channel)
    {
        if (!AckEnabled)
        {
            return (HttpStatusCode.BadRequest, """{"text":"ACK is disabled","code":14}""");
        }

        using var document = JsonDocument.Parse(request.Body);
        var acks = new StringBuilder("""{"acks":{""");
        var first = true;
        foreach (var id in document.RootElement.GetProperty("acks").EnumerateArray().Select(e => e.GetInt64()))
        {
            bool indexed;
            lock (_gate)
            {
                indexed = AcksIndexed && _pendingAcks.Remove((channel!, id));
            }

            acks.Append(first ? string.Empty : ",").Append(CultureInfo.InvariantCulture, $"\"{id}\":{(indexed ? "true" : "false")}");
            first = false;
        }

        return (HttpStatusCode.OK, acks.Append("}}").ToString());
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>One request as the server read it; <see cref="Body"/> is the body after any gzip.</summary>
internal sealed record HecRequest(string Method, string Path, Dictionary<string, string> Headers, byte[] RawBody)
{
    public bool Gzipped => Headers.TryGetValue("Content-Encoding", out var encoding) && encoding == "gzip";

    public byte[] Body
    {
        get
        {
            if (!Gzipped)
            {
                return RawBody;
            }

            using var gzip = new GZipStream(new MemoryStream(RawBody), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }
    }

    /// <summary>The concatenated JSON objects of an event request.</summary>
    public List<JsonElement> Events()
    {
        var events = new List<JsonElement>();
        var reader = new Utf8JsonReader(Body, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            events.Add(JsonElement.ParseValue(ref reader));
        }

        return events;
    }
}
