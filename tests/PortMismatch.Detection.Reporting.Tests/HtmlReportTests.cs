using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AngleSharp.Dom;
using PortMismatch.Detection.Reporting.Tests.Support;

namespace PortMismatch.Detection.Reporting.Tests;

/// <summary>The report read back with AngleSharp's HTML5 parser: what a browser builds from it, without running its script.</summary>
public sealed class HtmlReportTests
{
    private const int Seed = 2126;

    [Fact]
    public void The_table_has_one_row_per_finding_with_its_values()
    {
        var rows = ReportRows.Random(Seed, 200);
        var document = ReportRows.Parse(ReportRows.Render(rows, null));
        var trs = document.QuerySelectorAll("#rows tbody tr");
        Assert.Equal(rows.Count, trs.Length);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var cells = trs[i].Children.Select(c => c.TextContent).ToArray();
            var because = $"row {i} (seed {Seed})";
            Assert.True(cells.Length == 11, because);
            Assert.Equal(row.Rule!.Id, cells[0]);
            Assert.Equal($"{row.Rule.RiskScore}", cells[1]);
            Assert.Equal(string.Join(" ", row.Rule.Techniques), cells[2]);
            Assert.Equal(row.SourceAddress.ToString(), cells[3]);
            Assert.Equal(row.DestinationAddress.ToString(), cells[4]);
            Assert.Equal(row.App, cells[5]);
            Assert.Equal($"{(row.Transports[0] == Transport.Udp ? "udp" : "tcp")}/{row.DestinationPort}", cells[6]);
            Assert.Equal($"{row.Count}", cells[7]);
            Assert.Equal(ReportRows.Time(row.FirstTimeMicroseconds), cells[8]);
            Assert.Equal(ReportRows.Time(row.LastTimeMicroseconds), cells[9]);

            // The reason is the end of the row's own message (the line's end is the cell's, as the end tag is left out).
            Assert.EndsWith("; " + cells[10].TrimEnd('\n'), row.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_rows_evidence_is_in_its_reason_cell_a_line_a_field_as_text()
    {
        var rows = ReportRows.Random(Seed, 3);
        const string Hostile = "</td><script>document.title='pwned'</script><img src=x onerror=alert(1)>";
        var evidence = new MismatchEvidence(
            4,
            new EvidenceField(EvidenceField.CommunityIdName, [new EvidenceValue("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", 3)], 0),
            [
                new EvidenceField("tls.server_name", [new EvidenceValue("c2.example", 2), new EvidenceValue(Hostile, 1)], 5),
                new EvidenceField("http.user_agent", [new EvidenceValue("curl/8.5.0", 1)], 0),
            ]);
        rows[1] = new MismatchRow(rows[1].SourceAddress, rows[1].DestinationAddress, rows[1].App, rows[1].DestinationPort, rows[1].Count, rows[1].FirstTimeMicroseconds, rows[1].LastTimeMicroseconds, rows[1].Rule, rows[1].Transports)
        {
            Evidence = evidence,
        };
        var document = ReportRows.Parse(ReportRows.Render(rows, null));
        var trs = document.QuerySelectorAll("#rows tbody tr");
        Assert.All(trs, tr => Assert.Equal(11, tr.Children.Length)); // the same columns with evidence and without

        // the reason, then one line per field, each with its values, their counts when above one, and what was not kept
        var cell = trs[1].Children[10];
        var lines = string.Concat(cell.ChildNodes.Select(n => n is IElement { LocalName: "br" } ? "|" : n.TextContent)).TrimEnd('\n').Split('|');
        Assert.Equal(4, lines.Length);
        Assert.EndsWith("; " + lines[0], rows[1].Message, StringComparison.Ordinal);
        Assert.Equal("community_id: 1:LQU9qZlK+B5F3KDmev6m5PMibrg= (3)", lines[1]);
        Assert.Equal($"tls.server_name: c2.example (2), {Hostile}; 5 more", lines[2]);
        Assert.Equal("http.user_agent: curl/8.5.0", lines[3]);

        // the hostile value is text: no element of it, and the other rows have no evidence lines
        Assert.Empty(document.QuerySelectorAll("img"));
        Assert.Equal(3, document.QuerySelectorAll("script").Length);
        Assert.Empty(trs[0].Children[10].QuerySelectorAll("br"));
        Assert.Empty(trs[2].Children[10].QuerySelectorAll("br"));
    }

    [Fact]
    public void The_timeline_has_a_bar_for_each_rule_and_hour_with_findings()
    {
        var rows = ReportRows.Random(Seed, 500, hours: 30);
        var document = ReportRows.Parse(ReportRows.Render(rows, new HtmlReportRun { Rules = RuleSet.Extended }));
        var expected = rows
            .GroupBy(r => (Hour: r.FirstTimeMicroseconds / ReportRows.Hour, r.Rule!.Id))
            .Select(g => $"{g.Key.Id}: {g.Count()} finding{(g.Count() == 1 ? "" : "s")} in the bucket from {ReportRows.Time(g.Key.Hour * ReportRows.Hour)}")
            .Order(StringComparer.Ordinal);
        var bars = document.QuerySelectorAll("#timeline rect.t").Select(r => r.QuerySelector("title")!.TextContent).Order(StringComparer.Ordinal);
        Assert.Equal(expected, bars);
    }

    [Fact]
    public void Windows_are_the_timelines_buckets_when_the_run_has_them()
    {
        var window = TimeSpan.FromMinutes(15);
        var rows = ReportRows.Random(Seed, 300, hours: 20, window: window);
        var document = ReportRows.Parse(ReportRows.Render(rows, new HtmlReportRun { Window = window }));
        var buckets = document.QuerySelectorAll("#timeline rect.t").Select(r => r.QuerySelector("title")!.TextContent[(r.QuerySelector("title")!.TextContent.IndexOf(" from ", StringComparison.Ordinal) + 6)..]).ToHashSet();

        // 20 hours of 15-minute windows are 80 buckets, within the 120 drawn as they are.
        var expected = rows.Select(r => ReportRows.Time(r.WindowStartMicroseconds!.Value)).ToHashSet();
        Assert.Equal(expected.Order(), buckets.Order());
        Assert.Contains("tumbling windows of 15m", document.QuerySelector("#run")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(12, document.QuerySelectorAll("#rows thead th").Length);
    }

    [Fact]
    public void More_than_120_hours_are_drawn_in_wider_buckets()
    {
        var rows = ReportRows.Random(Seed, 400, hours: 24 * 30);
        var document = ReportRows.Parse(ReportRows.Render(rows, null));
        var starts = document.QuerySelectorAll("#timeline rect.t").Select(r => r.QuerySelector("title")!.TextContent.Split(" from ")[1]).Distinct().ToList();
        Assert.InRange(starts.Count, 2, 120);

        // 720 hours into at most 120 buckets: 6 hours each, starting at whole multiples of 6 hours since the epoch.
        Assert.All(starts, s => Assert.Equal(0, DateTimeOffset.Parse(s + "Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds() % (6 * 3600)));
    }

    [Fact]
    public void The_top_charts_rank_keys_by_findings_then_records()
    {
        var rows = ReportRows.Random(Seed, 2000);
        var document = ReportRows.Parse(ReportRows.Render(rows, null));
        static IEnumerable<string> Top(IEnumerable<(string Key, long Count)> keys) => keys
            .GroupBy(k => k.Key)
            .Select(g => (g.Key, Rows: g.Count(), Records: g.Sum(k => k.Count)))
            .OrderByDescending(g => g.Rows).ThenByDescending(g => g.Records).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(10)
            .Select(g => $"{g.Key}: {g.Rows:N0} finding{(g.Rows == 1 ? "" : "s")}, {g.Records:N0} record{(g.Records == 1 ? "" : "s")}");
        string[] Drawn(string id) => document.QuerySelectorAll($"#{id} g.top > title").Select(t => t.TextContent).ToArray();

        Assert.Equal(Top(rows.Select(r => (r.SourceAddress.ToString(), r.Count))), Drawn("top-sources"));
        Assert.Equal(Top(rows.Select(r => (r.DestinationAddress.ToString(), r.Count))), Drawn("top-destinations"));
        Assert.Equal(Top(rows.Select(r => ($"{r.App} on {(r.Transports[0] == Transport.Udp ? "udp" : "tcp")}/{r.DestinationPort}", r.Count))), Drawn("top-app-ports"));
    }

    [Fact]
    public async Task Hostile_values_in_every_field_are_text_and_nothing_else()
    {
        var hostile = await HostileReport.CreateAsync();
        var html = ReportRows.Render(hostile.Rows, hostile.Run);
        var document = ReportRows.Parse(html);

        // Only the report's own elements: its two scripts, no element a payload names, no event-handler attribute.
        Assert.Equal(3, document.QuerySelectorAll("script").Length);
        Assert.Empty(document.QuerySelectorAll("img"));
        Assert.DoesNotContain(document.All.SelectMany(e => e.Attributes), a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(document.All, e => e.HasAttribute("data-pwned"));

        // Every payload is text, literally (AngleSharp decodes what the writer escaped).
        Assert.Equal(hostile.Title, document.Title);
        var text = document.Body!.TextContent + string.Concat(document.QuerySelectorAll("svg title").Select(t => t.TextContent));
        foreach (var (payload, n) in hostile.Payloads.Select((p, n) => (p, n)).Where(x => x.n != 13))
        {
            Assert.True(text.Contains(payload, StringComparison.Ordinal), $"payload {n} is not shown as text");
        }

        // The allow-list entry's condition (payload 13) is shown in the entry, as text.
        Assert.Contains($"app={hostile.Payloads[13]}", document.QuerySelector("#allow-list")!.TextContent, StringComparison.Ordinal);

        // The script's data: nothing that could end the block or start markup, and the values come back exactly.
        var data = document.QuerySelector("#report-data")!.TextContent;
        Assert.DoesNotContain('<', data);
        Assert.DoesNotContain('>', data);
        Assert.DoesNotContain('&', data);
        Assert.DoesNotContain('\u2028', data);
        Assert.DoesNotContain('\u2029', data);
        using var json = JsonDocument.Parse(data);
        var rule = json.RootElement.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == hostile.Payloads[8]);
        Assert.Equal(hostile.Payloads[9], rule.GetProperty("name").GetString());
    }

    [Fact]
    public void The_policy_allows_exactly_the_inline_style_and_script_by_hash_and_nothing_from_elsewhere()
    {
        var document = ReportRows.Parse(ReportRows.Render(ReportRows.Random(Seed, 20), null));
        var policy = document.QuerySelector("meta[http-equiv=Content-Security-Policy]")!.GetAttribute("content")!;
        static string Hash(string text) => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text))) + "'";
        var directives = policy.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d[(d.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
        Assert.Equal("'none'", directives["default-src"]);
        Assert.Equal(Hash(document.QuerySelector("style")!.TextContent), directives["style-src"]);
        Assert.Equal(string.Join(' ', document.QuerySelectorAll("script:not([type])").Select(s => Hash(s.TextContent))), directives["script-src"]);

        // The policy comes before anything it governs; no style attribute (the policy would block it), no address to load.
        Assert.Same(document.Head!.Children[1], document.QuerySelector("meta[http-equiv=Content-Security-Policy]"));
        Assert.Equal(2, document.QuerySelectorAll("script:not([type])").Length);
        Assert.DoesNotContain(document.All, e => e.HasAttribute("style") || e.HasAttribute("src") || e.HasAttribute("href"));
        Assert.Empty(document.QuerySelectorAll("link, iframe, object, embed, img"));
    }

    [Fact]
    public void Without_javascript_the_table_and_charts_are_there_and_the_controls_hidden()
    {
        var rows = ReportRows.Random(Seed, 50);
        var document = ReportRows.Parse(ReportRows.Render(rows, null));
        Assert.True(document.QuerySelector("#controls")!.HasAttribute("hidden"));
        Assert.Equal(50, document.QuerySelectorAll("#rows tbody tr").Length);
        Assert.NotEmpty(document.QuerySelectorAll("#timeline rect.t"));
        Assert.Equal("50 findings from " + rows.Sum(r => r.Count).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " records. Times are UTC.", document.QuerySelector("#summary")!.TextContent);
    }

    [Fact]
    public void A_run_without_rows_says_so()
    {
        var document = ReportRows.Parse(ReportRows.Render([], null));
        Assert.Equal("No findings.", document.QuerySelector("#no-rows")!.TextContent);
        Assert.Null(document.QuerySelector("#rows"));
        Assert.Equal("No findings to draw.", document.QuerySelector("#timeline")!.TextContent);
    }

    [Fact]
    public void The_same_rows_make_the_same_bytes()
    {
        var run = new HtmlReportRun { Rules = RuleSet.Escu, RuleSetName = "escu" };
        Assert.Equal(ReportRows.Render(ReportRows.Random(Seed, 300), run), ReportRows.Render(ReportRows.Random(Seed, 300), run));
    }

    [Fact]
    public async Task The_sink_writes_the_report_of_a_pipeline_run_with_its_counters()
    {
        var path = Path.Combine(ReportRows.Folder(), "sink.html");
        var sink = new HtmlReportSink(path, new HtmlReportRun { Title = "sink" });
        var rows = ReportRows.Random(Seed, 5);
        rows.ForEach(sink.OnRow);
        var counters = new InputCounters();
        counters.CountRead();
        counters.CountSkipped("a reason");
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions(), new NullSink());
        var result = await pipeline.RunAsync([FlowSource.Create("input", counters, static (_, _) => Task.CompletedTask)], TestContext.Current.CancellationToken);
        await sink.OnCompletedAsync(result.Counters);

        var document = ReportRows.Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(5, document.QuerySelectorAll("#rows tbody tr").Length);
        Assert.Equal("a reason1", document.QuerySelector("#skipped-reasons tbody")!.TextContent.Trim());
        Assert.Equal("1", document.QuerySelectorAll("#counters tr").Single(r => r.Children[0].TextContent == "records read").Children[1].TextContent.Trim());
    }

    private sealed class NullSink : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
