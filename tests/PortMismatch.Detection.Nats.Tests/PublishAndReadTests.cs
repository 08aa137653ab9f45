using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.Ipfix.Tests;
using PortMismatch.Detection.Nats.Tests.Support;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.PanOs.Tests;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Suricata.Tests.Support;
using PortMismatch.Detection.Zeek;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>
/// Files published to a real nats-server and read back through <see cref="NatsFlowSource"/> give the rows that reading the
/// files directly gives (derived by the adapters, not written down), in every format; a publish run again adds nothing.
/// </summary>
public sealed class PublishAndReadTests : IAsyncLifetime
{
    private const int Seed = 2020;
    private NatsServer _server = null!;
    private NatsConnection _connection = null!;
    private NatsJSContext _js = null!;
    private string _folder = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await NatsServer.StartOrSkip();
        _connection = new NatsConnection(NatsOpts.Default with { Url = _server.Url });
        _js = new NatsJSContext(_connection);
        _folder = Directory.CreateTempSubdirectory("pm-nats-files-").FullName;
        TestContext.Current.SendDiagnosticMessage($"seed {Seed}");
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Files_of_every_format_read_back_from_the_stream_give_the_rows_of_the_files()
    {
        var ct = TestContext.Current.CancellationToken;
        var zeek = Write("conn.json.gz", ConnLog.GenerateJson(2_000, Seed), gzip: true);
        var eve = Write("eve.json", EveLog.Generate(1_000, Seed));
        var panos = Write("traffic.log", string.Concat(Enumerable.Range(0, 300).Select(i => "<14>Nov 30 16:09:08 fw1 " + new TrafficLine().With(app: i % 2 == 0 ? "ssl" : "web-browsing", destPort: (440 + (i % 7)).ToString(System.Globalization.CultureInfo.InvariantCulture)) + "\n")));
        var ipfix = WriteBytes("export.ipfix", IpfixMessages());
        string[] files = [zeek, eve, panos, ipfix];
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        var publisher = new NatsFlowPublisher(_js, NatsPublishOptions.Default with { Partitions = 4 });
        foreach (var file in files)
        {
            await publisher.PublishFileAsync(file, ct);
        }

        var source = new NatsFlowSource(_js, NatsFlowSourceOptions.Default with { Partitions = 4, StopAtEnd = true });
        var fromStream = await RowLines.DetectAsync(source);

        var direct = await RowLines.DetectAsync(
            ZeekConnInput.FileSource(zeek), SuricataEveInput.FileSource(eve), PanOsTrafficInput.FileSource(panos), IpfixInput.FileSource(ipfix));
        Assert.NotEmpty(direct);
        Assert.Equal(direct, fromStream);
        Assert.Equal(publisher.Published, source.MessagesRead);
        Assert.True(source.Counters.IsBalanced);
        var directCounters = new InputCounters();
        foreach (var file in files)
        {
            var one = FlowInput.FileSource(file, [IpfixInput.Format(), ZeekConnInput.Format(), SuricataEveInput.Format(), PanOsTrafficInput.Format()]);
            await one.ReadAsync(new RecordLines(), ct);
            directCounters.Add(one.Counters);
        }

        Assert.Equal(directCounters.ToString(), source.Counters.ToString());
    }

    [Fact]
    public async Task A_publish_run_again_adds_nothing_and_counts_duplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Write("conn.json", ConnLog.GenerateJson(500, Seed) + "\n\n");
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        var publisher = new NatsFlowPublisher(_js, NatsPublishOptions.Default with { MaxInFlight = 16 });

        var first = await publisher.PublishFileAsync(file, ct);
        var again = await publisher.PublishFileAsync(file, ct);

        Assert.Equal((500L, 0L), (first.Published, first.Duplicates));
        Assert.Equal((0L, 500L), (again.Published, again.Duplicates));
        Assert.Equal((500L, 500L), (publisher.Published, publisher.Duplicates));
        Assert.Equal(NatsFlowFormats.ZeekJson, first.Format);
        Assert.Equal(NatsFlowPublisher.PartitionOf(file, 8), first.Partition);
        var stream = await _js.GetStreamAsync(NatsFlowStreams.DefaultName, cancellationToken: ct);
        Assert.Equal(500L, (long)stream.Info.State.Messages);
        var message = await stream.GetAsync(new StreamMsgGetRequest { Seq = 1 }, ct);
        Assert.Contains($"Nats-Msg-Id: {first.Identity}:1", Encoding.UTF8.GetString(Convert.FromBase64String(message.Message.Hdrs!)), StringComparison.Ordinal);
        Assert.Equal($"flows.{first.Partition}.zeek-json", message.Message.Subject);
    }

    [Fact]
    public async Task Lines_published_many_to_a_message_read_back_as_the_rows_of_the_files_and_a_run_again_adds_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var zeek = Write("conn-batched.json", ConnLog.GenerateJson(1_000, Seed + 7) + "\n \n");
        var eve = Write("eve-batched.json", EveLog.Generate(500, Seed + 7));
        string[] files = [zeek, eve];
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        var publisher = new NatsFlowPublisher(_js, NatsPublishOptions.Default with { Partitions = 4, LinesPerMessage = 64 });
        var results = new List<NatsPublishResult>();
        foreach (var file in files)
        {
            results.Add(await publisher.PublishFileAsync(file, ct));
        }

        var lines = files.Select(f => File.ReadAllLines(f).Count(l => !string.IsNullOrWhiteSpace(l))).ToArray();
        Assert.Equal(lines.Select(n => (long)((n + 63) / 64)), results.Select(r => r.Published));

        var source = new NatsFlowSource(_js, NatsFlowSourceOptions.Default with { Partitions = 4, StopAtEnd = true });
        var fromStream = await RowLines.DetectAsync(source);
        var direct = await RowLines.DetectAsync(ZeekConnInput.FileSource(zeek), SuricataEveInput.FileSource(eve));
        Assert.NotEmpty(direct);
        Assert.Equal(direct, fromStream);
        Assert.Equal(publisher.Published, source.MessagesRead);
        Assert.True(source.Counters.IsBalanced);
        Assert.Equal(lines.Sum(), source.Counters.Read);

        var stream = await _js.GetStreamAsync(NatsFlowStreams.DefaultName, cancellationToken: ct);
        var first = await stream.GetAsync(new StreamMsgGetRequest { Seq = 1 }, ct);
        Assert.Contains($"Nats-Msg-Id: {results[0].Identity}:1-64\r\n", Encoding.UTF8.GetString(Convert.FromBase64String(first.Message.Hdrs!)), StringComparison.Ordinal);

        var again = await new NatsFlowPublisher(_js, NatsPublishOptions.Default with { Partitions = 4, LinesPerMessage = 64 }).PublishFileAsync(zeek, ct);
        Assert.Equal((0L, results[0].Published), (again.Published, again.Duplicates));
    }

    [Fact]
    public async Task Zeek_TSV_NetFlow_v9_and_unknown_files_are_refused_with_a_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        var publisher = new NatsFlowPublisher(_js);

        var tsv = await Assert.ThrowsAsync<InvalidDataException>(() => publisher.PublishFileAsync(Write("conn.log", ConnLog.GenerateTsv(10, Seed)), ct));
        var v9 = await Assert.ThrowsAsync<InvalidDataException>(() => publisher.PublishFileAsync(WriteBytes("v9.bin", [0, 9, 0, 1, .. new byte[40]]), ct));
        var other = await Assert.ThrowsAsync<InvalidDataException>(() => publisher.PublishFileAsync(Write("notes.txt", "hello\n"), ct));

        Assert.Contains("Zeek TSV", tsv.Message, StringComparison.Ordinal);
        Assert.Contains("NetFlow v9", v9.Message, StringComparison.Ordinal);
        Assert.Contains("not Zeek JSON, Suricata EVE, PAN-OS syslog or IPFIX", other.Message, StringComparison.Ordinal);
        Assert.Equal(0, publisher.Published);
    }

    [Fact]
    public async Task A_stream_of_the_name_with_other_subjects_is_an_error_that_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        await _js.CreateStreamAsync(new StreamConfig("FLOWS", ["logs.>"]), ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct));

        Assert.Contains("'FLOWS' exists with subjects [logs.>], which do not include 'flows.>'", error.Message, StringComparison.Ordinal);
        var made = await NatsFlowStreams.EnsureAsync(_js, "OTHER", "sensors", duplicateWindow: TimeSpan.FromMinutes(2), cancellationToken: ct);
        Assert.Equal(["sensors.>"], made.Info.Config.Subjects);
        Assert.Equal(TimeSpan.FromMinutes(2), made.Info.Config.DuplicateWindow);
        Assert.Equal(made.Info.Config.Name, (await NatsFlowStreams.EnsureAsync(_js, "OTHER", "sensors", cancellationToken: ct)).Info.Config.Name);
    }

    [Fact]
    public async Task A_source_of_some_partitions_from_a_sequence_reads_only_those()
    {
        var ct = TestContext.Current.CancellationToken;
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        var publisher = new NatsFlowPublisher(_js, NatsPublishOptions.Default with { Partitions = 4 });
        var byPartition = new Dictionary<int, List<NatsPublishResult>>();
        for (var i = 0; byPartition.Count < 2 || byPartition.Values.All(l => l.Count < 2); i++)
        {
            var result = await publisher.PublishFileAsync(Write($"conn{i}.json", ConnLog.GenerateJson(50, Seed + i)), ct);
            byPartition.TryAdd(result.Partition, []);
            byPartition[result.Partition].Add(result);
        }

        var (partition, results) = byPartition.First(p => p.Value.Count >= 2);
        var source = new NatsFlowSource(_js, NatsFlowSourceOptions.Default with { Partitions = 4, ReadPartitions = [partition], StopAtEnd = true });
        await source.ReadAsync(new RecordLines(), ct);
        Assert.Equal(results.Sum(r => r.Published), source.MessagesRead);

        // From the stream's last message: one message, whatever its partition, if that is the one read.
        var stream = await _js.GetStreamAsync(NatsFlowStreams.DefaultName, cancellationToken: ct);
        var last = new NatsFlowSource(_js, NatsFlowSourceOptions.Default with { Partitions = 4, StartSequence = stream.Info.State.LastSeq, StopAtEnd = true });
        await last.ReadAsync(new RecordLines(), ct);
        Assert.Equal(1, last.MessagesRead);
    }

    [Fact]
    public async Task A_live_source_reads_what_is_published_while_it_runs_until_cancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        var source = new NatsFlowSource(_js, NatsFlowSourceOptions.Default with { Partitions = 2 });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var records = new RecordLines();
        var reading = source.ReadAsync(records, stop.Token);

        var published = await new NatsFlowPublisher(_js, NatsPublishOptions.Default with { Partitions = 2 }).PublishFileAsync(Write("live.json", ConnLog.GenerateJson(100, Seed)), ct);
        await Poll.UntilAsync(() => source.MessagesRead == published.Published, () => $"read {source.MessagesRead} of {published.Published}");
        await stop.CancelAsync();
        await reading.WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.Equal(100, source.Counters.Read);
    }

    [Fact]
    public async Task AddNats_reads_the_stream_and_refuses_options_without_a_url()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Write("di.json", ConnLog.GenerateJson(300, Seed));
        await NatsFlowStreams.EnsureAsync(_js, cancellationToken: ct);
        await new NatsFlowPublisher(_js).PublishFileAsync(file, ct);
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowLines());
        services.AddPortMismatchDetection().AddNats(o =>
        {
            o.Url = _server.Url;
            o.StopAtEnd = true;
        });
        await using var provider = services.BuildServiceProvider();
        var source = Assert.Single(provider.GetServices<IFlowSource>());

        var rows = await RowLines.DetectAsync(source);

        Assert.Equal(await RowLines.DetectAsync(ZeekConnInput.FileSource(file)), rows);
        Assert.Equal(300, source.Counters.Read);

        var bad = new ServiceCollection();
        bad.AddPortMismatchDetection().AddNats(o => o.ReadPartitions.Add(9));
        await using var badProvider = bad.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<NatsSourceOptions>>().Value);
        Assert.Contains("Url is not set", error.Message, StringComparison.Ordinal);
        Assert.Contains("0 .. 7", error.Message, StringComparison.Ordinal);
    }

    private static byte[] IpfixMessages()
    {
        Field[] fields = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (96, 8), (150, 4)];
        var messages = new List<byte>(new IpfixBuilder().Template(256, fields).Build());
        var random = new Random(Seed);
        for (uint m = 1; m <= 20; m++)
        {
            var records = new List<byte>();
            for (var r = 0; r < 10; r++)
            {
                var app = random.Next(3) switch { 0 => "dns", 1 => "http", _ => "ssl" };
                var port = random.Next(3) switch { 0 => 53, 1 => 443, _ => random.Next(1024, 9000) };
                records.AddRange(Bytes.Cat(Bytes.Ip($"10.0.{m}.{r + 1}"), Bytes.Ip("192.0.2.9"), Bytes.U16(random.Next(40000, 60000)), Bytes.U16(port), Bytes.U8(6), Bytes.Text(app, padTo: 8), Bytes.U32(1_700_000_000 + m)));
            }

            messages.AddRange(new IpfixBuilder(sequence: m).Data(256, [.. records]).Build());
        }

        return [.. messages];
    }

    private string Write(string name, string text, bool gzip = false)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (gzip)
        {
            using var buffer = new MemoryStream();
            using (var zip = new GZipStream(buffer, CompressionLevel.Fastest))
            {
                zip.Write(bytes);
            }

            bytes = buffer.ToArray();
        }

        return WriteBytes(name, bytes);
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
