using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Nats.Internal;
using PortMismatch.Detection.Zeek;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests.Support;

/// <summary>
/// A JetStream server with a FLOWS stream of generated Zeek JSON lines (sorted by time, dealt round-robin over the
/// partitions), the expected sums of one in-process aggregation of the same lines, and the final rows read back from
/// <c>findings.final</c>, summed by window and key.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    private WorkerHarness(NatsServer server, NatsConnection connection, string[] lines)
    {
        Server = server;
        Connection = connection;
        Lines = lines;
        JetStream = new NatsJSContext(connection);
    }

    public NatsServer Server { get; }

    public NatsConnection Connection { get; }

    public NatsJSContext JetStream { get; }

    public string[] Lines { get; private set; }

    /// <summary>Publishes more lines (round-robin from partition 0) and counts them in <see cref="Expected"/>.</summary>
    public async Task PublishMoreAsync(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var ack = await JetStream.PublishAsync(string.Create(CultureInfo.InvariantCulture, $"flows.{i % 8}.zeek-json"), Encoding.UTF8.GetBytes(lines[i]), NatsRawSerializer<byte[]>.Default, cancellationToken: TestContext.Current.CancellationToken);
            ack.EnsureSuccess();
        }

        Lines = [.. Lines, .. lines];
    }

    public static async Task<WorkerHarness> StartAsync(int records, int seed, int partitions = 8)
    {
        var server = await NatsServer.StartOrSkip();
        var connection = new NatsConnection(new NatsOpts { Url = server.Url });
        var lines = ConnLog.GenerateJson(records, seed).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Array.Sort(lines, (a, b) => string.CompareOrdinal(Ts(a), Ts(b)));
        var harness = new WorkerHarness(server, connection, lines);
        await harness.JetStream.CreateStreamAsync(new StreamConfig("FLOWS", ["flows.>"]), TestContext.Current.CancellationToken);
        var pending = new List<Task>();
        for (var i = 0; i < lines.Length; i++)
        {
            var subject = string.Create(CultureInfo.InvariantCulture, $"flows.{i % partitions}.zeek-json");
            pending.Add(harness.JetStream.PublishAsync(subject, Encoding.UTF8.GetBytes(lines[i]), NatsRawSerializer<byte[]>.Default, cancellationToken: TestContext.Current.CancellationToken).AsTask());
            if (pending.Count == 500)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        return harness;
    }

    public NatsWorkerOptions Options(string id) => new()
    {
        Connection = Connection,
        WorkerId = id,
        Window = Window,
        SegmentRecords = 400,
        SegmentTime = TimeSpan.FromMilliseconds(300),
        BatchSize = 200,
        LeaseTtl = TimeSpan.FromSeconds(2),
        IdleTimeout = TimeSpan.FromSeconds(1),
        // a few rows a message: a segment spans several messages of several rows, so a kill between them is tested
        PartialRowsPerMessage = 3,
    };

    /// <summary>The rows of one aggregation of every line, summed by window and key.</summary>
    public Dictionary<string, Sums> Expected()
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new JsonLinesRowWriter(output))
        {
            using var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), writer, new AggregatorOptions { Window = Window });
            var text = Encoding.UTF8.GetBytes(string.Join('\n', Lines) + "\n");
            var reader = new ZeekConnReader(text, new ZeekReaderState());
            while (reader.TryRead(out var record))
            {
                aggregator.Add(record);
            }

            aggregator.Complete();
        }

        var sums = new Dictionary<string, Sums>();
        foreach (var line in Encoding.UTF8.GetString(output.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Add(sums, Encoding.UTF8.GetBytes(line));
        }

        return sums;
    }

    /// <summary>Every message on <c>findings.final</c> now, summed by window and key, and how many there were.</summary>
    public async Task<(Dictionary<string, Sums> Sums, int Messages, List<string> Ids)> FinalsAsync()
    {
        var sums = new Dictionary<string, Sums>();
        var ids = new List<string>();
        var messages = 0;
        try
        {
            // nats-server 2.9 ignores the filter_subjects of NATS.Net's ordered consumer: the worker's reader sends filter_subject
            var reader = new OrderedReader<byte[]>(JetStream, "FINDINGS", "findings.final", 0, NatsRawSerializer<byte[]>.Default);
            while (true)
            {
                var batch = await reader.FetchAsync(1000, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
                foreach (var message in batch)
                {
                    messages++;
                    Add(sums, message.Data!);
                    ids.Add(message.Headers?["Nats-Msg-Id"].ToString() ?? string.Empty);
                }

                if (batch.Count == 0)
                {
                    break;
                }
            }

            await reader.DeleteAsync();
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // no FINDINGS stream yet
        }

        return (sums, messages, ids);
    }

    public static long Total(Dictionary<string, Sums> sums) => sums.Values.Sum(s => s.Count);

    public static void AssertEqual(Dictionary<string, Sums> expected, Dictionary<string, Sums> actual)
    {
        var missing = expected.Keys.Except(actual.Keys).Take(3).ToList();
        var extra = actual.Keys.Except(expected.Keys).Take(3).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"missing keys: {string.Join("; ", missing)}; extra keys: {string.Join("; ", extra)}");
        foreach (var (key, sums) in expected)
        {
            Assert.True(sums == actual[key], $"{key}: expected {sums}, got {actual[key]}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
    }

    private static void Add(Dictionary<string, Sums> sums, byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var row = document.RootElement;
        Assert.True(row.TryGetProperty("window_start", out _), $"no window_start in {Encoding.UTF8.GetString(json)}");
        var key = string.Join(
            '|',
            row.GetProperty("window_start").GetString(),
            row.GetProperty("src_ip").ToString(),
            row.GetProperty("dest_ip").ToString(),
            row.GetProperty("app").GetString(),
            row.GetProperty("dest_port").GetInt32(),
            row.GetProperty("rule_id").ToString());
        var count = row.GetProperty("count").GetInt64();
        var first = row.GetProperty("first_time_us").GetInt64();
        var last = row.GetProperty("last_time_us").GetInt64();
        var transports = string.Join('+', row.GetProperty("transport").EnumerateArray().Select(t => t.GetString()));
        sums[key] = sums.TryGetValue(key, out var s)
            ? new Sums(s.Count + count, Math.Min(s.First, first), Math.Max(s.Last, last), Union(s.Transports, transports))
            : new Sums(count, first, last, Union(string.Empty, transports));
    }

    private static string Union(string a, string b)
        => string.Join('+', a.Split('+', StringSplitOptions.RemoveEmptyEntries).Union(b.Split('+', StringSplitOptions.RemoveEmptyEntries)).Order(StringComparer.Ordinal));

    private static string Ts(string line) => line[6..line.IndexOf(',', StringComparison.Ordinal)];

    public sealed record Sums(long Count, long First, long Last, string Transports);
}
