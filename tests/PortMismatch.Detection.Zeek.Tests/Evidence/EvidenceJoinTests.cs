using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests.Evidence;

public sealed class EvidenceJoinTests
{
    // Three flows break ESCU rules (ssl on 4444 twice, http on 2222) and one does not (ssl on 443).
    private static readonly (string Uid, string Ts, string Src, int SrcPort, string Dst, int Port, string Service)[] Flows =
    [
        ("CAAAAAAAAAAAAAAAA1", "1700000000.000000", "10.0.0.1", 50001, "192.0.2.66", 4444, "ssl"),
        ("CAAAAAAAAAAAAAAAA2", "1700000001.000000", "10.0.0.1", 50002, "192.0.2.66", 4444, "ssl"),
        ("CAAAAAAAAAAAAAAAA3", "1700000002.000000", "10.0.0.2", 50003, "192.0.2.67", 443, "ssl"),
        ("CAAAAAAAAAAAAAAAA4", "1700000003.000000", "10.0.0.3", 50004, "192.0.2.68", 2222, "http"),
    ];

    private static string ConnText()
    {
        var text = new StringBuilder(ConnLog.Header());
        foreach (var f in Flows)
        {
            text.Append(ConnLog.Line(f.Ts, f.Src, f.SrcPort.ToString(System.Globalization.CultureInfo.InvariantCulture), f.Dst, f.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "tcp", f.Service)
                .Replace("CHhAvVGS1DHFjwGM9", f.Uid, StringComparison.Ordinal));
        }

        return text.Append(ConnLog.Close).ToString();
    }

    private static async Task<List<MismatchRow>> ScanAsync(EvidenceJoin join, string conn)
    {
        var bytes = Encoding.UTF8.GetBytes(conn);
        var state = new ZeekReaderState();
        var source = FlowSource.Create("conn.log", state.Counters, (sink, _) =>
        {
            var reader = new ZeekConnReader(bytes, state);
            while (reader.TryRead(out var record))
            {
                sink.OnRecord(record);
            }

            return Task.CompletedTask;
        });
        var rows = new Rows();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Rules = RuleSet.Escu, CombineRows = true }, rows);
        await pipeline.RunAsync([join.Tap(source)], TestContext.Current.CancellationToken);
        return rows.List;
    }

    private static Task<ZeekEvidenceCounts> ReadAsync(EvidenceJoin join, string name, string text)
        => ZeekEvidenceLog.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), name, join, TestContext.Current.CancellationToken);

    private static MismatchRow Row(List<MismatchRow> rows, int port) => Assert.Single(rows, r => r.DestinationPort == port);

    private static string Cid(int flow)
    {
        var f = Flows[flow];
        return CommunityId.Compute(IPAddressValue.Parse(f.Src), IPAddressValue.Parse(f.Dst), 6, (ushort)f.SrcPort, (ushort)f.Port);
    }

    private static List<(string, long)> Values(MismatchEvidence evidence, string field)
        => evidence.Find(field) is { } found ? found.Values.Select(v => (v.Value, v.Count)).ToList() : [];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rows_get_the_values_of_their_flows_from_ssl_dpd_and_only_theirs(bool json)
    {
        var join = new EvidenceJoin(RuleSet.Escu);
        var rows = await ScanAsync(join, ConnText());
        Assert.Equal(2, rows.Count);

        // Hostile values: markup stays as it is (escaping it is the output's job), a tab is Zeek's \x09 either way.
        var ssl = new List<Dictionary<string, string>>
        {
            new() { ["ts"] = "1700000000.1", ["uid"] = "CAAAAAAAAAAAAAAAA1", ["version"] = "TLSv12", ["server_name"] = "evil.example", ["ja3"] = "e7d705a3286e19ea42f587b344ee6865" },
            new() { ["ts"] = "1700000001.1", ["uid"] = "CAAAAAAAAAAAAAAAA2", ["version"] = "TLSv12", ["server_name"] = json ? "<script>\\u0009x</script>" : "<script>\\x09x</script>" },
            new() { ["ts"] = "1700000002.1", ["uid"] = "CAAAAAAAAAAAAAAAA3", ["version"] = "TLSv13", ["server_name"] = "ok.example" },
            new() { ["ts"] = "1700000002.2", ["uid"] = "CZZZZZZZZZZZZZZZZ9", ["server_name"] = "nobody.example" },
        };
        var dpd = new List<Dictionary<string, string>>
        {
            new() { ["ts"] = "1700000003.1", ["uid"] = "CAAAAAAAAAAAAAAAA4", ["analyzer"] = "HTTP", ["failure_reason"] = "not a http reply line" },
        };
        var sslCounts = json
            ? await ReadAsync(join, "ssl.log", CompanionLogs.Json(ssl.Select(Quote)))
            : await ReadAsync(join, "ssl.log", CompanionLogs.Tsv("ssl", ssl));
        var dpdCounts = json
            ? await ReadAsync(join, "dpd.log", CompanionLogs.Json(dpd.Select(Quote)))
            : await ReadAsync(join, "dpd.log", CompanionLogs.Tsv("dpd", dpd));
        Assert.Equal(2, join.Attach(rows));

        Assert.Equal("ssl", sslCounts.Path);
        Assert.Equal((4L, 2L, 2L, 0L, 0L), (sslCounts.Read, sslCounts.Joined, sslCounts.Unmatched, sslCounts.Rejected, sslCounts.Skipped));
        Assert.Equal((1L, 1L), (dpdCounts.Read, dpdCounts.Joined));

        var tls = Row(rows, 4444).Evidence!;
        Assert.Equal(2, tls.Flows);
        Assert.Equal([(Cid(0), 1L), (Cid(1), 1L)], tls.CommunityIds!.Values.Select(v => (v.Value, v.Count)));
        Assert.Equal([("evil.example", 1L), ("<script>\\x09x</script>", 1L)], Values(tls, "tls.server_name"));
        Assert.Equal([("TLSv12", 2L)], Values(tls, "tls.version"));
        Assert.Equal([("e7d705a3286e19ea42f587b344ee6865", 1L)], Values(tls, "tls.ja3"));

        // Its partner in http.log never came: the row is still reported, with the dpd failure and its Community ID only.
        var ssh = Row(rows, 2222).Evidence!;
        Assert.Equal([("HTTP: not a http reply line", 1L)], Values(ssh, "analyzer.failure"));
        Assert.Equal([(Cid(3), 1L)], ssh.CommunityIds!.Values.Select(v => (v.Value, v.Count)));
        Assert.Empty(Values(ssh, "http.host"));

        var counters = join.Counters;
        Assert.Equal((3L, 0L, 0L), (counters.FlowsTracked, counters.FlowsOverCap, counters.FlowsWithoutId));
        Assert.Equal((6L, 0L), (counters.ValuesJoined, counters.ValuesOverCap)); // 2 + 2 + 1 from ssl, 1 from dpd
    }

    private static Dictionary<string, string> Quote(Dictionary<string, string> record)
        => record.ToDictionary(p => p.Key, p => p.Key == "ts" ? p.Value : $"\"{p.Value}\"", StringComparer.Ordinal);

    [Fact]
    public async Task Http_ssh_and_dns_values_are_joined_by_name_whatever_the_column_order()
    {
        var join = new EvidenceJoin(RuleSet.Escu);
        var rows = await ScanAsync(join, ConnText());
        await ReadAsync(join, "http.log", CompanionLogs.Tsv("http", [new() { ["uid"] = "CAAAAAAAAAAAAAAAA1", ["method"] = "CONNECT", ["host"] = "h.example", ["uri"] = "/a?b=%00", ["user_agent"] = "curl/8.0", ["status_code"] = "200" }]));
        await ReadAsync(join, "ssh.2026-11-26-13-00-00.log", "{\"_path\":\"ssh\",\"uid\":\"CAAAAAAAAAAAAAAAA4\",\"client\":\"SSH-2.0-Go\",\"server\":\"SSH-2.0-OpenSSH_9.6\",\"auth_success\":false}\n");
        await ReadAsync(join, "dns.log", "{\"query\":\"x.example\",\"uid\":\"CAAAAAAAAAAAAAAAA2\"}\n");
        join.Attach(rows);

        var tls = Row(rows, 4444).Evidence!;
        Assert.Equal([("CONNECT", 1L)], Values(tls, "http.method"));
        Assert.Equal([("h.example", 1L)], Values(tls, "http.host"));
        Assert.Equal([("/a?b=%00", 1L)], Values(tls, "http.uri"));
        Assert.Equal([("curl/8.0", 1L)], Values(tls, "http.user_agent"));
        Assert.Equal([("200", 1L)], Values(tls, "http.status_code"));
        Assert.Equal([("x.example", 1L)], Values(tls, "dns.query"));
        var ssh = Row(rows, 2222).Evidence!;
        Assert.Equal([("SSH-2.0-Go", 1L)], Values(ssh, "ssh.client"));
        Assert.Equal([("SSH-2.0-OpenSSH_9.6", 1L)], Values(ssh, "ssh.server"));
    }

    [Fact]
    public async Task Flows_beyond_the_cap_are_counted_and_their_rows_are_still_reported()
    {
        var join = new EvidenceJoin(RuleSet.Escu, EvidenceOptions.Default with { MaxFlows = 1 });
        var rows = await ScanAsync(join, ConnText());
        var counts = await ReadAsync(join, "ssl.log", CompanionLogs.Tsv("ssl", [new() { ["uid"] = "CAAAAAAAAAAAAAAAA1", ["server_name"] = "a" }, new() { ["uid"] = "CAAAAAAAAAAAAAAAA2", ["server_name"] = "b" }]));
        join.Attach(rows);

        Assert.Equal(2, rows.Count);
        Assert.Equal((1L, 2L), (join.Counters.FlowsTracked, join.Counters.FlowsOverCap));
        Assert.Equal(1, join.FlowCount);
        var tls = Row(rows, 4444).Evidence!;
        Assert.Equal(1, tls.Flows);
        Assert.Equal([("a", 1L)], Values(tls, "tls.server_name"));
        Assert.Null(Row(rows, 2222).Evidence);
        Assert.Equal((1L, 1L), (counts.Joined, counts.Unmatched));
    }

    [Fact]
    public async Task A_field_keeps_its_first_distinct_values_and_counts_the_others()
    {
        var join = new EvidenceJoin(RuleSet.Escu, EvidenceOptions.Default with { MaxValuesPerField = 1 });
        var rows = await ScanAsync(join, ConnText());
        await ReadAsync(join, "ssl.log", CompanionLogs.Tsv("ssl", [
            new() { ["uid"] = "CAAAAAAAAAAAAAAAA1", ["server_name"] = "a" },
            new() { ["uid"] = "CAAAAAAAAAAAAAAAA2", ["server_name"] = "b" },
            new() { ["uid"] = "CAAAAAAAAAAAAAAAA2", ["server_name"] = "a" },
        ]));
        join.Attach(rows);

        var field = Row(rows, 4444).Evidence!.Find("tls.server_name")!;
        Assert.Equal([("a", 2L)], field.Values.Select(v => (v.Value, v.Count)));
        Assert.Equal(1, field.OtherCount);
        Assert.Equal(1, Row(rows, 4444).Evidence!.CommunityIds!.OtherCount);
    }

    [Fact]
    public async Task Bad_lines_are_counted_and_a_long_value_is_cut()
    {
        var join = new EvidenceJoin(RuleSet.Escu, EvidenceOptions.Default with { MaxValueLength = 16 });
        var rows = await ScanAsync(join, ConnText());
        var text = CompanionLogs.Tsv("ssl", [new() { ["uid"] = "CAAAAAAAAAAAAAAAA1", ["server_name"] = new string('a', 40) }])
            .Replace("#close", "too\tfew\n#close", StringComparison.Ordinal);
        var counts = await ReadAsync(join, "ssl.log", text);
        var json = await ReadAsync(join, "ssl.log", "{\"uid\":\"CAAAAAAAAAAAAAAAA2\",\"server_name\":\"x\"\n{\"uid\":1}\nnot json\n");
        join.Attach(rows);

        Assert.Equal((2L, 1L, 1L), (counts.Read, counts.Joined, counts.Rejected));
        Assert.Equal((3L, 3L), (json.Read, json.Rejected));
        Assert.Equal([("aaaaaaaaaaaaa...", 1L)], Values(Row(rows, 4444).Evidence!, "tls.server_name"));
    }

    [Fact]
    public void Companions_are_found_next_to_a_conn_log_with_its_rotation_suffix_plain_or_gzip()
    {
        var directory = Directory.CreateTempSubdirectory("evidence-");
        try
        {
            foreach (var name in new[] { "conn.log", "ssl.log", "http.log.gz", "conn.2026-11-26-13-00-00.log.gz", "dns.2026-11-26-13-00-00.log", "ssh.2026-11-26-14-00-00.log", "files.log" })
            {
                File.WriteAllText(Path.Combine(directory.FullName, name), string.Empty);
            }

            Assert.Equal(["ssl.log", "http.log.gz"], ZeekEvidenceLog.FindCompanions(Path.Combine(directory.FullName, "conn.log")).Select(Path.GetFileName));
            Assert.Equal(["dns.2026-11-26-13-00-00.log"], ZeekEvidenceLog.FindCompanions(Path.Combine(directory.FullName, "conn.2026-11-26-13-00-00.log.gz")).Select(Path.GetFileName));
            Assert.Empty(ZeekEvidenceLog.FindCompanions(Path.Combine(directory.FullName, "other.log")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_gzip_companion_is_read()
    {
        var join = new EvidenceJoin(RuleSet.Escu);
        var rows = await ScanAsync(join, ConnText());
        var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(CompanionLogs.Tsv("ssl", [new() { ["uid"] = "CAAAAAAAAAAAAAAAA1", ["server_name"] = "gz.example" }])));
        }

        compressed.Position = 0;
        var counts = await ZeekEvidenceLog.ReadAsync(compressed, "ssl.log.gz", join, TestContext.Current.CancellationToken);
        join.Attach(rows);

        Assert.Equal(1L, counts.Joined);
        Assert.Equal([("gz.example", 1L)], Values(Row(rows, 4444).Evidence!, "tls.server_name"));
    }

    private sealed class Rows : IMismatchRowSink
    {
        public List<MismatchRow> List { get; } = [];

        public void OnRow(MismatchRow row) => List.Add(row);
    }
}
