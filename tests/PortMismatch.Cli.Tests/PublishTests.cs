using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Nats;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// <c>portmismatch publish</c> against a real nats-server: the stream is made, every line is a message on its file's
/// partition, a run again adds nothing, and what cannot be published is exit code 2 with the reason.
/// </summary>
public sealed class PublishTests : IAsyncLifetime
{
    private const int Seed = 7;
    private NatsServer _server = null!;
    private string _folder = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await NatsServer.StartOrSkip();
        _folder = Directory.CreateTempSubdirectory("portmismatch-publish-").FullName;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Publishes_files_to_a_stream_it_makes_and_adds_nothing_when_run_again()
    {
        var conn = Write("conn.json", Lines(300, i => $$"""{"ts":{{1_700_000_000 + i}}.5,"uid":"C{{i}}","id.orig_h":"10.0.0.{{i % 200 + 1}}","id.orig_p":{{40000 + i}},"id.resp_h":"192.0.2.9","id.resp_p":{{(i % 2 == 0 ? 443 : 8443)}},"proto":"tcp","service":"ssl"}"""));
        var eve = Write("eve.json", Lines(40, i => $$$"""{"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":{{{i}}},"event_type":"flow","src_ip":"10.1.0.{{{i + 1}}}","src_port":50000,"dest_ip":"192.0.2.7","dest_port":53,"proto":"UDP","app_proto":"http","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":60,"bytes_toclient":90,"start":"2024-11-26T08:06:23.123456+0100","end":"2024-11-26T08:06:24.000000+0100","age":1,"state":"closed","reason":"timeout","alerted":false}}"""));
        using var process = CliProcess.Start("publish", "--nats", _server.Url, "--partitions", "4", conn, eve);
        var exit = await process.WaitForExitAsync(CliProcess.Patience);

        Assert.Equal(0, exit);
        Assert.Equal("published 340 messages to FLOWS (4 partitions)", process.StandardError.Trim());
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = _server.Url });
        var js = new NatsJSContext(connection);
        var stream = await js.GetStreamAsync("FLOWS", new StreamInfoRequest { SubjectsFilter = "flows.>" }, TestContext.Current.CancellationToken);
        Assert.Equal(["flows.>"], stream.Info.Config.Subjects);
        Assert.Equal(340L, (long)stream.Info.State.Messages);
        Assert.Equal(300L, stream.Info.State.Subjects![$"flows.{NatsFlowPublisher.PartitionOf(conn, 4)}.zeek-json"]);
        Assert.Equal(40L, stream.Info.State.Subjects![$"flows.{NatsFlowPublisher.PartitionOf(eve, 4)}.suricata"]);

        var again = await CliProcess.RunInProcess("publish", "--nats", _server.Url, "--partitions", "4", conn, eve);
        Assert.Equal(0, again.Exit);
        Assert.Equal(
            "published 0 messages to FLOWS (4 partitions)\nportmismatch: 340 messages were published before (the stream dropped them as duplicates)",
            again.Err.Trim().ReplaceLineEndings("\n"));
        stream = await js.GetStreamAsync("FLOWS", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(340L, (long)stream.Info.State.Messages);
    }

    [Fact]
    public async Task A_zeek_TSV_file_is_refused_with_exit_code_2_and_the_reason()
    {
        var tsv = Write("conn.log", "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n1700000000.5\tC1\t10.0.0.1\t40000\t192.0.2.9\t443\ttcp\tssl\n");

        var run = await CliProcess.RunInProcess("publish", "--nats", _server.Url, tsv);

        Assert.Equal(2, run.Exit);
        Assert.Contains("a Zeek TSV conn.log cannot be published", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "publish", "x.json" }, "publish needs --nats <url>")]
    [InlineData(new[] { "publish", "--nats", "nats://127.0.0.1:1" }, "publish needs files to publish")]
    [InlineData(new[] { "publish", "--nats", "nats://127.0.0.1:1", "--partitions", "0", "x.json" }, "--partitions 0: use a whole number from 1 to 1024.")]
    [InlineData(new[] { "scan", "--stream", "FLOWS", "x.json" }, "--stream does nothing in scan; it is an option of worker and publish.")]
    public async Task Usage_errors_say_what_is_missing(string[] args, string message)
    {
        var run = await CliProcess.RunInProcess(args);

        Assert.Equal(2, run.Exit);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_help_lists_the_options_from_the_table()
    {
        var run = await CliProcess.RunInProcess("publish", "--help");

        Assert.Equal(0, run.Exit);
        foreach (var option in (string[])["--nats <url>[,<url>...]", "--stream <name>", "--partitions <n>", "--replicas <n>"])
        {
            Assert.Contains(option, run.Out, StringComparison.Ordinal);
        }
    }

    private static string Lines(int count, Func<int, string> line) => string.Concat(Enumerable.Range(0, count).Select(i => line(i) + "\n"));

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
