using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PortMismatch.Detection.Siem.Internal;
using PortMismatch.Detection.Siem.Tests.Support;

namespace PortMismatch.Detection.Siem.Tests.Hec;

public sealed class SplunkHecSinkTests
{
    private const string Token = "11111111-2222-3333-4444-555555555555";

    private static readonly DetectionRule Ssl = RuleSet.Escu.Rules.Single(r => r.Id == "escu-ssl");

    private static readonly DetectionCounters NoCounters = default!;

    /// <summary>Row <paramref name="i"/>: a distinct source per row (10.0.x.y), so rows can be told apart at the server.</summary>
    private static MismatchRow Row(int i, DetectionRule? rule = null, bool windowed = false) => new(
        IPAddressValue.Parse($"10.0.{i / 250}.{(i % 250) + 1}"),
        IPAddressValue.Parse("192.0.2.66"),
        "ssl",
        4444,
        i + 1,
        1_700_000_000_000_000 + (i * 1_000_000L),
        1_700_000_000_250_001 + (i * 1_000_000L),
        rule ?? Ssl,
        [Transport.Tcp])
    {
        WindowStartMicroseconds = windowed ? 1_699_999_800_000_000 : null,
        WindowEndMicroseconds = windowed ? 1_700_000_100_000_000 : null,
        IsPartial = windowed,
        IsLate = windowed && i % 2 == 1,
    };

    private static SplunkHecOptions Options(HecTestServer server, string? token = null) => new(server.Url, token ?? server.Token)
    {
        MinRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        AcknowledgementPollInterval = TimeSpan.FromMilliseconds(10),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    private static void AssertBalanced(SplunkHecCounters c)
        => Assert.True(c.Received == c.Sent + c.Failed + c.Dropped + c.Pending, $"counters do not balance: {c}");

    private static List<HecRequest> EventRequests(HecTestServer server) => [.. server.Requests.Where(r => r.Path == "/services/collector/event")];

    [Fact]
    public async Task Events_carry_the_rows_cim_fields_the_metadata_and_the_token()
    {
        await using var server = new HecTestServer(Token);
        // Windowed, partial and late rows, and one without a rule, a source, a port or a transport.
        var rows = Enumerable.Range(0, 4).Select(i => Row(i, windowed: true)).Append(new MismatchRow(
            IPAddressValue.None, IPAddressValue.Parse("2001:db8::1"), "dns", 0, 2, 5_000_000, 6_000_000, null, ImmutableArray<Transport>.Empty)).ToList();
        await using (var sink = new SplunkHecSink(Options(server) with { Index = "netsec", Source = "portmismatch", SourceType = "portmismatch:finding", Host = "sensor-1" }))
        {
            foreach (var row in rows)
            {
                sink.OnRow(row);
            }

            await sink.OnCompletedAsync(NoCounters);
            var counters = sink.Counters;
            Assert.Equal(new SplunkHecCounters { Received = 5, Sent = 5, Batches = counters.Batches }, counters);
        }

        var requests = EventRequests(server);
        Assert.All(requests, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal($"Splunk {Token}", r.Headers["Authorization"]);
            Assert.StartsWith("application/json", r.Headers["Content-Type"], StringComparison.Ordinal);
            Assert.False(r.Gzipped);
        });

        var events = server.Events.ToList();
        Assert.Equal(rows.Count, events.Count);
        foreach (var (row, hec) in rows.Zip(events))
        {
            Assert.Equal(row.LastTimeMicroseconds / 1_000_000m, hec.GetProperty("time").GetDecimal());
            Assert.Equal("netsec", hec.GetProperty("index").GetString());
            Assert.Equal("portmismatch", hec.GetProperty("source").GetString());
            Assert.Equal("portmismatch:finding", hec.GetProperty("sourcetype").GetString());
            Assert.Equal("sensor-1", hec.GetProperty("host").GetString());
            var e = hec.GetProperty("event");
            Assert.Equal(row.SourceAddress.HasValue ? row.SourceAddress.ToString() : "null", e.GetProperty("src_ip").GetString());
            Assert.Equal(row.DestinationAddress.ToString(), e.GetProperty("dest_ip").GetString());
            Assert.Equal(row.App, e.GetProperty("app").GetString());
            Assert.Equal(row.DestinationPort, e.GetProperty("dest_port").GetInt32());
            Assert.Equal(row.Count, e.GetProperty("count").GetInt64());
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(row.FirstTimeMicroseconds / 1000).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture), e.GetProperty("firstTime").GetString());
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(row.LastTimeMicroseconds / 1000).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture), e.GetProperty("lastTime").GetString());
            Assert.Equal(row.Transports.Select(t => t.ToName()), e.GetProperty("transport").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(row.Rule?.Id, e.GetProperty("rule_id").GetString());
            Assert.Equal(row.Rule?.Name, e.GetProperty("rule_name").GetString());
            Assert.Equal(row.RiskScore, e.GetProperty("risk_score").GetInt32());
            Assert.Equal(row.Techniques, e.GetProperty("mitre_technique_id").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(row.Message, e.GetProperty("message").GetString());
            Assert.Equal(FindingId.Compute(row), e.GetProperty("finding_id").GetString());
            Assert.Equal(row.WindowStartMicroseconds is { } start ? DateTimeOffset.FromUnixTimeMilliseconds(start / 1000).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) : null,
                e.TryGetProperty("window_start", out var ws) ? ws.GetString() : null);
            Assert.Equal(row.WindowEndMicroseconds is { } end ? DateTimeOffset.FromUnixTimeMilliseconds(end / 1000).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) : null,
                e.TryGetProperty("window_end", out var we) ? we.GetString() : null);
            Assert.Equal(row.IsPartial, e.TryGetProperty("partial", out var partial) && partial.GetBoolean());
            Assert.Equal(row.IsLate, e.TryGetProperty("late", out var late) && late.GetBoolean());
        }
    }

    [Theory]
    [InlineData(0, "0.000000")]
    [InlineData(1_700_000_000_250_001, "1700000000.250001")]
    [InlineData(-1_500_000, "-1.500000")]
    [InlineData(long.MinValue, "-9223372036854.775808")]
    public void Time_is_epoch_seconds_with_six_decimals(long microseconds, string expected)
    {
        Span<byte> text = stackalloc byte[32];
        var written = HecEvent.FormatEpochSeconds(microseconds, text);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(text[..written]));
        Assert.Equal((decimal)microseconds / 1_000_000m, decimal.Parse(expected, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Batches_are_bounded_by_event_count()
    {
        await using var server = new HecTestServer(Token) { Stall = true };
        await using var sink = new SplunkHecSink(Options(server) with { MaxBatchEvents = 3 });

        // The first row's request is held at the server, so the next ten wait in the queue and are batched together.
        sink.OnRow(Row(0));
        await Poll.UntilAsync(() => server.Stalled == 1, () => $"stalled {server.Stalled}");
        for (var i = 1; i <= 10; i++)
        {
            sink.OnRow(Row(i));
        }

        server.ReleaseStall();
        await sink.OnCompletedAsync(NoCounters);

        Assert.Equal([1, 3, 3, 3, 1], EventRequests(server).Select(r => r.Events().Count));
        Assert.Equal(Enumerable.Range(0, 11).Select(i => Row(i).SourceAddress.ToString()), server.Events.Select(e => e.GetProperty("event").GetProperty("src_ip").GetString()));
        Assert.Equal(new SplunkHecCounters { Received = 11, Sent = 11, Batches = 5 }, sink.Counters);
    }

    [Fact]
    public async Task Batches_are_bounded_by_bytes_and_an_event_larger_than_the_bound_goes_alone()
    {
        await using var server = new HecTestServer(Token) { Stall = true };

        // Every Row(i) for i in 1..9 formats to the same length (one-digit count and last octet); measure it at the server.
        await using (var probe = new SplunkHecSink(Options(server)))
        {
            server.Stall = false;
            probe.OnRow(Row(1));
            await probe.OnCompletedAsync(NoCounters);
        }

        var oneEvent = EventRequests(server).Single().Body.Length;
        var bound = (oneEvent * 2) + (oneEvent / 2);
        while (server.Requests.TryDequeue(out _))
        {
        }

        while (server.Events.TryDequeue(out _))
        {
        }

        server.Stall = true;
        await using var sink = new SplunkHecSink(Options(server) with { MaxBatchBytes = bound });
        sink.OnRow(Row(1));
        await Poll.UntilAsync(() => server.Stalled == 1, () => $"stalled {server.Stalled}");
        for (var i = 2; i <= 8; i++)
        {
            sink.OnRow(Row(i));
        }

        server.ReleaseStall();
        await sink.OnCompletedAsync(NoCounters);
        var requests = EventRequests(server);
        Assert.Equal([1, 2, 2, 2, 1], requests.Select(r => r.Events().Count));
        Assert.All(requests, r => Assert.True(r.Body.Length <= bound, $"{r.Body.Length} bytes > {bound}"));

        // A bound below one event: each event alone, none lost.
        await using var tiny = new SplunkHecSink(Options(server) with { MaxBatchBytes = oneEvent / 2 });
        tiny.OnRow(Row(3));
        tiny.OnRow(Row(4));
        await tiny.OnCompletedAsync(NoCounters);
        Assert.Equal(new SplunkHecCounters { Received = 2, Sent = 2, Batches = 2 }, tiny.Counters);
    }

    [Fact]
    public async Task Gzip_bodies_say_so_and_decode_to_the_events()
    {
        await using var server = new HecTestServer(Token);
        await using (var sink = new SplunkHecSink(Options(server) with { Gzip = true }))
        {
            for (var i = 0; i < 50; i++)
            {
                sink.OnRow(Row(i));
            }
        }

        var requests = EventRequests(server);
        Assert.All(requests, r => Assert.True(r.Gzipped && r.RawBody is [0x1f, 0x8b, ..], "gzip header and magic"));
        Assert.True(requests.Sum(r => r.RawBody.Length) < requests.Sum(r => r.Body.Length) / 2, "compressed");
        Assert.Equal(Enumerable.Range(0, 50).Select(i => Row(i).Count), server.Events.Select(e => e.GetProperty("event").GetProperty("count").GetInt64()));
    }

    [Fact]
    public async Task Busy_replies_and_dropped_connections_are_retried_and_every_row_arrives_exactly_once()
    {
        await using var server = new HecTestServer(Token);
        server.BusyFor(3);
        server.CloseFor(2);
        var logger = new TestLogger();
        await using var sink = new SplunkHecSink(Options(server) with { Logger = logger, MaxBatchEvents = 7 });
        for (var i = 0; i < 40; i++)
        {
            sink.OnRow(Row(i));
            AssertBalanced(sink.Counters);
        }

        await sink.OnCompletedAsync(NoCounters);
        var counters = sink.Counters;
        Assert.Equal(40, counters.Sent);
        Assert.Equal(5, counters.Retries);
        Assert.Equal(0, counters.Failed + counters.Pending + counters.Dropped);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => Row(i).SourceAddress.ToString()).Order(), server.Events.Select(e => e.GetProperty("event").GetProperty("src_ip").GetString()!).Order());
        Assert.Contains(logger.Lines, l => l.Contains("HEC code 9 'Server is busy'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, 401, 3, "Invalid authorization")]
    [InlineData(false, 403, 4, "Invalid token")]
    public async Task A_refused_token_fails_the_rows_without_retry_and_the_token_is_in_no_log_line(bool as401, int status, int code, string text)
    {
        await using var server = new HecTestServer(Token) { WrongTokenIs401 = as401 };
        const string wrong = "secret-token-0000-should-never-be-seen";
        var logger = new TestLogger();
        long batches;
        await using (var sink = new SplunkHecSink(Options(server, wrong) with { Logger = logger }))
        {
            for (var i = 0; i < 5; i++)
            {
                sink.OnRow(Row(i));
            }

            await sink.OnCompletedAsync(NoCounters);
            var counters = sink.Counters;
            Assert.Equal(5, counters.Failed);
            Assert.Equal(0, counters.Retries + counters.Sent + counters.Pending);
            Assert.DoesNotContain(wrong, sink.ToString(), StringComparison.Ordinal);
            batches = counters.Batches;
        }

        // One request per batch: no batch was sent twice.
        Assert.Equal(batches, EventRequests(server).Count);
        Assert.Equal(5, EventRequests(server).Sum(r => r.Events().Count));
        Assert.Contains(logger.Lines, l => l.Contains($"HTTP {status}, HEC code {code} '{text}'", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, l => l.Contains(wrong, StringComparison.Ordinal));
        Assert.DoesNotContain(wrong, (Options(server, wrong) with { Index = "x" }).ToString(), StringComparison.Ordinal);
        var invalid = Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecOptions(new Uri("ftp://splunk/"), wrong)));
        Assert.DoesNotContain(wrong, invalid.ToString(), StringComparison.Ordinal);
        Assert.Contains("SplunkHecOptions.Url", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_data_fails_the_batch_with_the_invalid_event_number_and_no_retry()
    {
        await using var server = new HecTestServer(Token) { RejectEventNumber = 1 };
        var logger = new TestLogger();
        await using var sink = new SplunkHecSink(Options(server) with { Logger = logger });
        sink.OnRow(Row(0));
        await sink.OnCompletedAsync(NoCounters);
        Assert.Equal(new SplunkHecCounters { Received = 1, Failed = 1, Batches = 1 }, sink.Counters);
        Assert.Single(EventRequests(server));
        Assert.Contains(logger.Lines, l => l.Contains("HTTP 400, HEC code 6 'Invalid data format', invalid-event-number 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task While_the_collector_is_down_memory_stays_bounded_and_what_could_not_be_delivered_is_counted()
    {
        // A port nothing listens on: every request is refused at once.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)closed.LocalEndpoint).Port}");
        closed.Stop();

        const int capacity = 5;
        const int rows = 2_000;
        var logger = new TestLogger();
        var sink = new SplunkHecSink(new SplunkHecOptions(url, Token)
        {
            QueueCapacity = capacity,
            MaxBatchEvents = 2,
            EnqueueTimeout = TimeSpan.FromMilliseconds(50),
            MaxRetries = 1_000_000,
            MinRetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
            FlushTimeout = TimeSpan.FromMilliseconds(200),
            Logger = logger,
        });
        for (var i = 0; i < rows; i++)
        {
            sink.OnRow(Row(i));
            var c = sink.Counters;
            AssertBalanced(c);
            Assert.True(c.Pending <= capacity, $"pending {c.Pending} > capacity {capacity}");
        }

        var during = sink.Counters;
        Assert.Equal(rows, during.Received);
        Assert.Equal(capacity, during.Pending);
        Assert.Equal(rows - capacity, during.Dropped);
        Assert.True(during.Retries > 0, "retried");
        Assert.Equal(capacity, sink.MaxPending);

        await sink.DisposeAsync();
        var after = sink.Counters;
        Assert.Equal(new SplunkHecCounters { Received = rows, Dropped = rows - capacity, Failed = capacity, Batches = after.Batches, Retries = after.Retries }, after);
        Assert.Contains(logger.Lines, l => l.Contains("rows are dropped", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Contains("flush timeout", StringComparison.Ordinal));
        Assert.Throws<ObjectDisposedException>(() => sink.OnRow(Row(0)));
    }

    [Fact]
    public async Task With_acknowledgement_rows_count_as_sent_only_once_the_indexers_acknowledge_them()
    {
        await using var server = new HecTestServer(Token) { AckEnabled = true, AcksIndexed = false };
        var channel = Guid.NewGuid();
        await using var sink = new SplunkHecSink(Options(server) with { UseAcknowledgement = true, Channel = channel, MaxBatchEvents = 4 });
        for (var i = 0; i < 10; i++)
        {
            sink.OnRow(Row(i));
        }

        await Poll.UntilAsync(() => server.Events.Count == 10 && server.Requests.Count(r => r.Path == "/services/collector/ack") >= 2, () => $"{server.Events.Count} events, {server.Requests.Count} requests");
        var accepted = sink.Counters;
        Assert.Equal(0, accepted.Sent);
        Assert.Equal(10, accepted.Pending);

        server.AcksIndexed = true;
        await sink.OnCompletedAsync(NoCounters);
        Assert.Equal(new SplunkHecCounters { Received = 10, Sent = 10, Batches = 3 }, sink.Counters);
        Assert.All(server.Requests, r => Assert.Equal(channel.ToString("D"), r.Headers["X-Splunk-Request-Channel"]));
        var polled = server.Requests.Where(r => r.Path == "/services/collector/ack").Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("acks").EnumerateArray().Select(e => e.GetInt64()).ToHashSet()).ToList();
        Assert.All(polled, ids => Assert.Subset(new HashSet<long> { 0, 1, 2 }, ids));
        Assert.Contains(polled, ids => ids.SetEquals([0, 1, 2]));
    }

    [Fact]
    public async Task An_unacknowledged_batch_is_sent_again_a_bounded_number_of_times_then_fails()
    {
        await using var server = new HecTestServer(Token) { AckEnabled = true, AcksIndexed = false };
        var logger = new TestLogger();
        await using var sink = new SplunkHecSink(Options(server) with
        {
            UseAcknowledgement = true,
            AcknowledgementTimeout = TimeSpan.FromMilliseconds(100),
            MaxAcknowledgementResends = 2,
            Logger = logger,
        });
        sink.OnRow(Row(0));
        await sink.OnCompletedAsync(NoCounters);
        Assert.Equal(new SplunkHecCounters { Received = 1, Failed = 1, Batches = 1, Retries = 2 }, sink.Counters);
        Assert.Equal(3, EventRequests(server).Count);
        Assert.Contains(logger.Lines, l => l.Contains("not acknowledged", StringComparison.Ordinal));

        // Acknowledged on the resend: sent once acknowledged, not failed.
        server.AcksIndexed = false;
        sink.OnRow(Row(1));
        await Poll.UntilAsync(() => EventRequests(server).Count == 5, () => $"{EventRequests(server).Count} event requests");
        server.AcksIndexed = true;
        await sink.OnCompletedAsync(NoCounters);
        Assert.Equal(new SplunkHecCounters { Received = 2, Sent = 1, Failed = 1, Batches = 2, Retries = 3 }, sink.Counters);
    }

    [Fact]
    public async Task Dispose_flushes_every_queued_row()
    {
        await using var server = new HecTestServer(Token);
        var sink = new SplunkHecSink(Options(server) with { MaxBatchEvents = 10 });
        for (var i = 0; i < 500; i++)
        {
            sink.OnRow(Row(i));
        }

        await sink.DisposeAsync();
        Assert.Equal(new SplunkHecCounters { Received = 500, Sent = 500, Batches = sink.Counters.Batches }, sink.Counters);
        Assert.Equal(500, server.Events.Count);
        Assert.Equal(500, server.Events.Select(e => e.GetProperty("event").GetProperty("src_ip").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task A_flush_that_times_out_counts_the_held_rows_as_failed_and_the_sink_goes_on()
    {
        await using var server = new HecTestServer(Token) { Stall = true };
        var sink = new SplunkHecSink(Options(server) with { FlushTimeout = TimeSpan.FromMilliseconds(200), RequestTimeout = TimeSpan.FromMinutes(5) });
        for (var i = 0; i < 3; i++)
        {
            sink.OnRow(Row(i));
        }

        await sink.OnCompletedAsync(NoCounters).AsTask().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(new SplunkHecCounters { Received = 3, Failed = 3, Batches = sink.Counters.Batches }, sink.Counters);

        server.ReleaseStall();
        sink.OnRow(Row(3));
        await sink.DisposeAsync();
        Assert.Equal(1, sink.Counters.Sent);
        Assert.Equal(0, sink.Counters.Pending);
        Assert.Contains(server.Events, e => e.GetProperty("event").GetProperty("src_ip").GetString() == Row(3).SourceAddress.ToString());
    }

    [Fact]
    public void Options_are_checked_by_name_and_the_base_url_is_required()
    {
        var url = new Uri("https://splunk.example:8088");
        Assert.Contains("SplunkHecOptions.Url", Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecOptions(new Uri("https://splunk.example:8088/services/collector/event"), Token))).Message, StringComparison.Ordinal);
        Assert.Contains("SplunkHecOptions.QueueCapacity", Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecOptions(url, Token) { QueueCapacity = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("SplunkHecOptions.Token", Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecOptions(url, " "))).Message, StringComparison.Ordinal);
        Assert.Contains("SplunkHecOptions.MaxRetryDelay", Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecOptions(url, Token) { MinRetryDelay = TimeSpan.FromSeconds(2), MaxRetryDelay = TimeSpan.FromSeconds(1) })).Message, StringComparison.Ordinal);
    }
}
