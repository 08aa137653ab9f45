using System.Text;

namespace PortMismatch.Detection.Suricata.Tests.Evidence;

/// <summary>
/// EVE's own tls, http, dns and ssh events joined by <c>flow_id</c> to the rows of the flows that broke a rule: events
/// before and after their flow event, the version 2 and 3 DNS formats, escaped and hostile values, events of flows that
/// broke no rule, and every line accounted for.
/// </summary>
public sealed class SuricataEvidenceTests
{
    private static string Flow(long id, string time, int port, string app)
        => $"{{\"timestamp\":\"{time}\",\"flow_id\":{id},\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":5{port % 10000},\"dest_ip\":\"192.0.2.66\",\"dest_port\":{port},\"proto\":\"TCP\",\"app_proto\":\"{app}\",\"flow\":{{\"start\":\"{time}\",\"end\":\"{time}\"}}}}";

    private static string Event(long id, string type, string body)
        => $"{{\"timestamp\":\"2026-11-26T13:00:00.000000+0000\",\"flow_id\":{id},\"event_type\":\"{type}\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"192.0.2.66\",\"{type}\":{body}}}";

    [Fact]
    public async Task Tls_http_dns_and_ssh_events_before_or_after_their_flow_give_its_row_evidence_and_nothing_else()
    {
        var lines = new[]
        {
            // flow 1: TLS on 4444 (breaks ext-tls; Suricata says tls, which escu has no rule for); its tls event comes first, as Suricata logs it
            Event(1, "tls", "{\"subject\":\"CN=x\",\"sni\":\"c2.example\",\"version\":\"TLS 1.2\",\"ja3\":{\"hash\":\"e7d705a3286e19ea42f587b344ee6865\",\"string\":\"771,...\"},\"ja4\":\"t13d1516h2_8daaf6152771_b186095e22b6\"}"),
            Flow(1, "2026-11-26T13:00:01.000000+0000", 4444, "tls"),

            // flow 2: HTTP on 2222; the http event after the flow, with an escaped hostile user agent
            Flow(2, "2026-11-26T13:00:02.000000+0000", 2222, "http"),
            Event(2, "http", "{\"hostname\":\"evil.example\",\"url\":\"/x?a=<b>\",\"http_user_agent\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\",\"http_method\":\"POST\",\"status\":200}"),

            // flow 3: DNS on 5353 with both formats; an answer's rrname is not a query
            Flow(3, "2026-11-26T13:00:03.000000+0000", 5353, "dns"),
            Event(3, "dns", "{\"type\":\"query\",\"id\":1,\"rrname\":\"v2.example\",\"rrtype\":\"A\"}"),
            Event(3, "dns", "{\"type\":\"answer\",\"id\":1,\"rrname\":\"answer.example\"}"),
            Event(3, "dns", "{\"version\":3,\"type\":\"request\",\"queries\":[{\"rrname\":\"v3.example\",\"rrtype\":\"A\"}]}"),

            // flow 4: SSH on 2022
            Flow(4, "2026-11-26T13:00:04.000000+0000", 2022, "ssh"),
            Event(4, "ssh", "{\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_9.6\"},\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"dropbear\"}}"),

            // flow 5: TLS on 443 breaks no rule, so its event is not joined; an alert and a broken line
            Flow(5, "2026-11-26T13:00:05.000000+0000", 443, "tls"),
            Event(5, "tls", "{\"sni\":\"fine.example\"}"),
            "{\"timestamp\":\"2026-11-26T13:00:06.000000+0000\",\"flow_id\":1,\"event_type\":\"alert\",\"alert\":{\"signature\":\"x\"}}",
            "{\"event_type\":\"tls\",\"flow_id\":1,",
        };
        var text = string.Join('\n', lines) + "\n";

        var join = new EvidenceJoin(RuleSet.Extended);
        var state = new SuricataReaderState();
        var bytes = Encoding.UTF8.GetBytes(text);
        var source = FlowSource.Create("eve.json", state.Counters, (sink, _) =>
        {
            var reader = new SuricataEveReader(bytes, state);
            while (reader.TryRead(out var record))
            {
                sink.OnRecord(record);
            }

            return Task.CompletedTask;
        });
        var rows = new Rows();
        using (var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Rules = RuleSet.Extended }, rows))
        {
            await pipeline.RunAsync([join.Tap(source)], TestContext.Current.CancellationToken);
        }

        var counts = await SuricataEvidenceLog.ReadAsync(new MemoryStream(bytes), "eve.json", join, TestContext.Current.CancellationToken);
        Assert.Equal(4, join.Attach(rows.List));

        // every line accounted for: 5 flow events and the alert skipped, 6 events of rule-breaking flows joined (tls, http, three dns, ssh), the
        // event of flow 5 unmatched, the broken line rejected
        Assert.Equal((lines.Length, 6L, 1L, 1L, 6L), (counts.Read, counts.Joined, counts.Unmatched, counts.Rejected, counts.Skipped));
        Assert.Equal(counts.Read, counts.Joined + counts.Unmatched + counts.Rejected + counts.Skipped);

        var tls = Row(rows.List, 4444);
        Assert.Equal(["c2.example"], Values(tls, "tls.server_name"));
        Assert.Equal(["TLS 1.2"], Values(tls, "tls.version"));
        Assert.Equal(["e7d705a3286e19ea42f587b344ee6865"], Values(tls, "tls.ja3"));
        Assert.Equal(["t13d1516h2_8daaf6152771_b186095e22b6"], Values(tls, "tls.ja4"));

        var http = Row(rows.List, 2222);
        Assert.Equal(["evil.example"], Values(http, "http.host"));
        Assert.Equal(["/x?a=<b>"], Values(http, "http.uri"));
        Assert.Equal(["<script>alert(1)</script>"], Values(http, "http.user_agent")); // unescaped JSON; writers escape it
        Assert.Equal(["POST"], Values(http, "http.method"));
        Assert.Equal(["200"], Values(http, "http.status_code"));

        Assert.Equal(["v2.example", "v3.example"], Values(Row(rows.List, 5353), "dns.query").Order(StringComparer.Ordinal));
        var ssh = Row(rows.List, 2022);
        Assert.Equal(["SSH-2.0-OpenSSH_9.6"], Values(ssh, "ssh.client"));
        Assert.Equal(["SSH-2.0-dropbear"], Values(ssh, "ssh.server"));

        // the row of TLS on 443 is not there (no rule broken); no row got another flow's values
        Assert.DoesNotContain(rows.List, r => r.DestinationPort == 443);
        Assert.Empty(Values(tls, "http.host"));
        Assert.Empty(Values(http, "tls.server_name"));
    }

    private static MismatchRow Row(List<MismatchRow> rows, int port) => Assert.Single(rows, r => r.DestinationPort == port);

    private static List<string> Values(MismatchRow row, string field)
        => row.Evidence?.Find(field) is { } found ? found.Values.Select(v => v.Value).ToList() : [];

    private sealed class Rows : IMismatchRowSink
    {
        public List<MismatchRow> List { get; } = [];

        public void OnRow(MismatchRow row) => List.Add(row);
    }
}
