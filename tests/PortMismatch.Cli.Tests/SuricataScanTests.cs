namespace PortMismatch.Cli.Tests;

/// <summary><c>scan</c> on Suricata eve.json: detected without --format, named in the summary, held against --format.</summary>
public sealed class SuricataScanTests : IDisposable
{
    // HTTP on 8081 (a mismatch under both packs), SMTP that upgraded to TLS on 25 (none), a DNS event (skipped), a bad port.
    private const string Eve = """
        {"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":1,"event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"query"}}
        {"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":2,"event_type":"flow","src_ip":"10.0.0.1","src_port":50000,"dest_ip":"10.0.0.2","dest_port":8081,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":3,"pkts_toclient":4,"bytes_toserver":300,"bytes_toclient":700,"start":"2024-11-26T08:06:23.123456+0100"}}
        {"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":3,"event_type":"flow","src_ip":"10.0.0.1","src_port":50001,"dest_ip":"10.0.0.3","dest_port":25,"proto":"TCP","app_proto":"tls","app_proto_orig":"smtp","flow":{"start":"2024-11-26T08:06:24.000000+0100"}}
        {"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":4,"event_type":"flow","src_ip":"10.0.0.1","src_port":50002,"dest_ip":"10.0.0.4","dest_port":99999,"proto":"TCP","app_proto":"http","flow":{"start":"2024-11-26T08:06:24.000000+0100"}}

        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("pm-cli-suricata-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("escu")]
    [InlineData("extended")]
    public async Task An_eve_json_is_detected_and_its_flows_scanned(string rules)
    {
        var path = Path.Combine(_directory, "eve.json");
        await File.WriteAllTextAsync(path, Eve, TestContext.Current.CancellationToken);

        var rows = Path.Combine(_directory, "rows.csv");

        var (exit, _, stderr) = await CliProcess.RunInProcess("scan", "--rules", rules, "--out", rows, path);

        Assert.Equal(0, exit);
        Assert.Equal(["src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", "10.0.0.1,10.0.0.2,http,8081,1,2024-11-26T07:06:23,2024-11-26T07:06:23"], await File.ReadAllLinesAsync(rows, TestContext.Current.CancellationToken));
        Assert.Contains($"{path}:4 (byte {Eve.IndexOf("{\"timestamp\":\"2024-11-26T08:06:30.000000+0100\",\"flow_id\":4", StringComparison.Ordinal)}): rejected (port-out-of-range): dest_port is not in 0-65535: '99999'", stderr, StringComparison.Ordinal);
        Assert.Contains("portmismatch: 1 input (Suricata) in ", stderr, StringComparison.Ordinal);
        Assert.Contains(": read 4 = accepted 2 + rejected 1 + skipped 1", stderr, StringComparison.Ordinal);
        Assert.Contains("skipped           1  not-a-flow-event", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_format_forced_on_eve_names_suricata()
    {
        var path = Path.Combine(_directory, "eve.json");
        await File.WriteAllTextAsync(path, Eve, TestContext.Current.CancellationToken);

        var (exit, _, stderr) = await CliProcess.RunInProcess("scan", "--format", "zeek-json", path);

        Assert.Equal(2, exit);
        Assert.Contains($"portmismatch: {path}: --format zeek-json, but it looks like a Suricata EVE log (--format suricata); give that --format or leave --format out", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_directions_reads_netflow_replies()
    {
        var path = Path.Combine(_directory, "netflow.json");
        await File.WriteAllTextAsync(
            path,
            """
            {"timestamp":"2016-05-27T06:56:11.900923+0000","flow_id":9,"event_type":"netflow","src_ip":"10.16.1.11","src_port":46652,"dest_ip":"82.165.177.154","dest_port":80,"proto":"TCP","app_proto":"http","netflow":{"pkts":6,"bytes":425,"start":"2016-05-27T06:56:11.304062+0000"}}
            {"timestamp":"2016-05-27T06:56:11.900923+0000","flow_id":9,"event_type":"netflow","src_ip":"82.165.177.154","src_port":80,"dest_ip":"10.16.1.11","dest_port":46652,"proto":"TCP","app_proto":"http","netflow":{"pkts":4,"bytes":495,"start":"2016-05-27T06:56:11.304062+0000"}}

            """,
            TestContext.Current.CancellationToken);

        var initiators = Path.Combine(_directory, "initiators.csv");
        var both = Path.Combine(_directory, "both.csv");

        var (_, _, initiatorsErr) = await CliProcess.RunInProcess("scan", "--format", "suricata", "--out", initiators, path);
        await CliProcess.RunInProcess("scan", "--format", "suricata", "--all-directions", "--out", both, path);

        Assert.Single(await File.ReadAllLinesAsync(initiators, TestContext.Current.CancellationToken));
        Assert.Contains("skipped           1  reply-flow", initiatorsErr, StringComparison.Ordinal);
        Assert.Contains("82.165.177.154,10.16.1.11,http,46652,1,", await File.ReadAllTextAsync(both, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
