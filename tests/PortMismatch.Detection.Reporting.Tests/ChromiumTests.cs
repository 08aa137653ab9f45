using System.Globalization;
using PortMismatch.Detection.Reporting.Tests.Support;

namespace PortMismatch.Detection.Reporting.Tests;

/// <summary>
/// Reports opened in headless Chromium as a person opens them: the DOM after the page's script ran (<c>--dump-dom</c>),
/// read back with AngleSharp, and screenshots under artifacts/reports/ (not committed). Skipped without chromium unless
/// PORTMISMATCH_REQUIRE_CHROMIUM=1 (CI), where it fails.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class ChromiumTests
{
    private const int Seed = 2126;

    [Fact]
    public void The_report_renders_its_rows_and_charts_and_its_script_sorts_and_filters()
    {
        Chromium.EnsureInstalled();
        var rows = ReportRows.Random(Seed, 300);
        var path = Path.Combine(ReportRows.Folder(), "report.html");
        HtmlReport.Write(path, rows, new HtmlReportRun { Rules = RuleSet.Extended, RuleSetName = "extended" });

        var document = ReportRows.Parse(Chromium.DumpDom(path));
        var root = document.DocumentElement;
        Assert.True(root.HasAttribute("data-ready-ms"), $"the page's script did not run (seed {Seed})");
        Assert.False(document.QuerySelector("#controls")!.HasAttribute("hidden"));
        Assert.Equal("js", root.ClassName); // the table, hidden while it loaded, is shown
        Assert.Equal("all 300 rows", document.QuerySelector("#shown")!.TextContent);
        Assert.Equal(300, document.QuerySelectorAll("#rows tbody tr").Length);
        var bars = rows.Select(r => (r.FirstTimeMicroseconds / ReportRows.Hour, r.Rule!.Id)).Distinct().Count();
        Assert.Equal(bars, document.QuerySelectorAll("#timeline rect.t").Length);
        Assert.Equal(10, document.QuerySelectorAll("#top-sources g.top").Length);

        // The rule list is built by the script from the JSON block: one option per rule with findings, and "all rules".
        Assert.Equal(rows.Select(r => r.Rule!.Id).Distinct().Count() + 1, document.QuerySelectorAll("#rule option").Length);

        // Filter and sort from the address: a rule and the records column, descending.
        var rule = rows[0].Rule!.Id;
        var filtered = ReportRows.Parse(Chromium.DumpDom(path, $"#rule={Uri.EscapeDataString(rule)}&sort=7:desc"));
        var visible = filtered.QuerySelectorAll("#rows tbody tr").Where(tr => !tr.HasAttribute("hidden")).ToList();
        var expected = rows.Where(r => r.Rule!.Id == rule).Select(r => r.Count).OrderDescending().ToList();
        Assert.Equal(expected, visible.Select(tr => long.Parse(tr.Children[7].TextContent, CultureInfo.InvariantCulture)));
        Assert.All(visible, tr => Assert.Equal(rule, tr.Children[0].TextContent));
        Assert.Equal($"{expected.Count} of 300 rows", filtered.QuerySelector("#shown")!.TextContent);
        Assert.Equal("descending", filtered.QuerySelectorAll("#rows thead th")[7].GetAttribute("aria-sort"));

        Chromium.Screenshot(path, Path.Combine(ReportRows.Folder(), "report.png"));
    }

    [Fact]
    public async Task Hostile_content_executes_nothing_and_shows_as_text()
    {
        Chromium.EnsureInstalled();
        var hostile = await HostileReport.CreateAsync();
        var path = Path.Combine(ReportRows.Folder(), "hostile.html");
        HtmlReport.Write(path, hostile.Rows, hostile.Run);

        // Also with a payload in the address's filter, which the script puts into the search box.
        foreach (var fragment in (string[])["", "#q=" + Uri.EscapeDataString(ReportRows.Payload(99)) + "&rule=" + Uri.EscapeDataString(hostile.Payloads[8])])
        {
            var dom = Chromium.DumpDom(path, fragment);
            var document = ReportRows.Parse(dom);
            Assert.True(document.DocumentElement.HasAttribute("data-ready-ms"), "the page's own script did not run, so the test proves nothing");
            Assert.Equal(hostile.Title, document.Title);
            Assert.DoesNotContain(document.All, e => e.HasAttribute("data-pwned"));
            Assert.Empty(document.QuerySelectorAll("img"));
            Assert.Equal(3, document.QuerySelectorAll("script").Length);
            Assert.DoesNotContain(document.All.SelectMany(e => e.Attributes), a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase));
            var text = document.Body!.TextContent + string.Concat(document.QuerySelectorAll("svg title").Select(t => t.TextContent));
            Assert.Contains(hostile.Payloads[11], text, StringComparison.Ordinal);
            Assert.Contains(hostile.Payloads[3], text, StringComparison.Ordinal);

            // The rule option the script made from the JSON block shows the rule's id and name as text.
            Assert.Contains(document.QuerySelectorAll("#rule option"), o => o.TextContent.StartsWith(hostile.Payloads[8] + " \u2013 " + hostile.Payloads[9], StringComparison.Ordinal));
        }

        Chromium.Screenshot(path, Path.Combine(ReportRows.Folder(), "hostile.png"), height: 1000);
    }

    [Fact]
    public void A_report_of_100000_rows_stays_within_its_size_and_opens_and_filters_in_bounded_time()
    {
        Chromium.EnsureInstalled();
        const int Count = 100_000;
        var rows = ReportRows.Random(Seed, Count, hours: 24 * 7);
        var path = Path.Combine(ReportRows.Folder(), "report-100k.html");
        HtmlReport.Write(path, rows, new HtmlReportRun { Rules = RuleSet.Extended, RuleSetName = "extended" });
        var empty = Path.Combine(ReportRows.Folder(), "report-0.html");
        HtmlReport.Write(empty, [], new HtmlReportRun { Rules = RuleSet.Extended, RuleSetName = "extended" });

        // The README's bound: a row takes at most 300 bytes plus its app text (the rest of the file is fixed, ~30 KB).
        var perRow = (double)(new FileInfo(path).Length - new FileInfo(empty).Length) / Count;
        var appBytes = rows.Average(r => r.App.Length);
        TestContext.Current.SendDiagnosticMessage($"100,000 rows: {new FileInfo(path).Length:N0} bytes, {perRow:F1} bytes a row (apps {appBytes:F1})");
        Assert.True(perRow <= 300 + appBytes, $"{perRow:F1} bytes a row (seed {Seed})");

        var query = rows[0].SourceAddress.ToString();
        var document = ReportRows.Parse(Chromium.DumpDom(path, "#q=" + Uri.EscapeDataString(query)));
        var root = document.DocumentElement;
        var ready = int.Parse(root.GetAttribute("data-ready-ms")!, CultureInfo.InvariantCulture);
        var filter = int.Parse(root.GetAttribute("data-filter-ms")!, CultureInfo.InvariantCulture);
        var shown = rows.Count(r => r.SourceAddress.ToString().Contains(query, StringComparison.Ordinal) || r.DestinationAddress.ToString().Contains(query, StringComparison.Ordinal));
        Assert.Equal($"{shown} of {Count} rows", document.QuerySelector("#shown")!.TextContent);
        // Unfiltered and sorted: the first 1,000 rows (by records, descending) are shown, the rest hidden until asked for.
        var sortedDocument = ReportRows.Parse(Chromium.DumpDom(path, "#sort=7:desc"));
        var sorted = sortedDocument.DocumentElement;
        var sort = int.Parse(sorted.GetAttribute("data-sort-ms")!, CultureInfo.InvariantCulture);
        var readyAll = int.Parse(sorted.GetAttribute("data-ready-ms")!, CultureInfo.InvariantCulture);
        var visible = sortedDocument.QuerySelectorAll("#rows tbody tr").Where(tr => !tr.HasAttribute("hidden")).Select(tr => long.Parse(tr.Children[7].TextContent, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(rows.Select(r => r.Count).OrderDescending().Take(1000), visible);
        Assert.Equal($"all {Count} rows, the first 1000 shown", sortedDocument.QuerySelector("#shown")!.TextContent);
        var line = $"100,000 rows in headless Chromium: ready {ready} ms after navigation with a filter (first filter {filter} ms), {readyAll} ms unfiltered and sorted by records (sort {sort} ms)";
        TestContext.Current.SendDiagnosticMessage(line);
        File.WriteAllText(Path.Combine(ReportRows.Folder(), "report-100k.txt"), $"{line}; {perRow:F1} bytes a row\n");

        // Generous bounds for a loaded 2-core CI machine; the README gives the measured times.
        Assert.InRange(ready, 1, 30_000);
        Assert.InRange(readyAll, 1, 30_000);
        Assert.InRange(filter, 0, 10_000);
        Assert.InRange(sort, 0, 10_000);
    }
}
