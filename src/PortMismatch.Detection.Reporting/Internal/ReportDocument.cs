using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Detection.Reporting.Internal;

/// <summary>Writes one report: head (policy, style), the run, the charts, the table, the script's data and the script.</summary>
internal sealed class ReportDocument(TextWriter writer, IReadOnlyList<MismatchRow> rows, HtmlReportRun run)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly ReportSummary _summary = ReportSummary.Create(rows, run.Rules, run.Window);

    public void Write()
    {
        Raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"");
        Raw(ReportAssets.ContentSecurityPolicy);
        Raw("\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
        Text(run.Title);
        Raw("</title>\n<script>");
        Raw(ReportAssets.HeadScript);
        Raw("</script>\n<style>");
        Raw(ReportAssets.Style);
        Raw("</style>\n</head>\n<body>\n<header><h1>");
        Text(run.Title);
        Raw("</h1><p class=\"muted\" id=\"summary\">");
        Text(string.Create(Inv, $"{rows.Count:N0} finding{(rows.Count == 1 ? string.Empty : "s")} from {_summary.Records:N0} record{(_summary.Records == 1 ? string.Empty : "s")}"));
        if (run.GeneratedAt is { } at)
        {
            Text(string.Create(Inv, $", generated {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"));
        }

        if (run.Generator is { } generator)
        {
            Text(" by ");
            Text(generator);
        }

        Raw(". Times are UTC.</p></header>\n");
        WriteRun();
        Raw("<section id=\"charts\">\n<h2>Findings per rule over time</h2>\n");
        SvgCharts.Timeline(writer, _summary);
        Raw("<h2>Top</h2>\n<div class=\"grid\">\n");
        SvgCharts.Top(writer, "top-sources", "Sources", _summary.TopSources);
        SvgCharts.Top(writer, "top-destinations", "Destinations", _summary.TopDestinations);
        SvgCharts.Top(writer, "top-app-ports", "App and port", _summary.TopAppPorts);
        Raw("</div>\n</section>\n");
        WriteTable();
        WriteData();
        Raw("<script>");
        Raw(ReportAssets.Script);
        Raw("</script>\n</body>\n</html>\n");
    }

    private void Raw(string html) => writer.Write(html);

    private void Text(ReadOnlySpan<char> text) => HtmlText.Write(writer, text);

    private void Number(long value) => writer.Write(value.ToString("N0", Inv));

    private void Cell(string text)
    {
        Raw("<td>");
        Text(text);
    }

    private void NumberCell(long value)
    {
        Raw("<td class=\"n\">");
        Number(value);
    }

    private void WriteRun()
    {
        Raw("<section id=\"run\">\n<h2>Run</h2>\n<dl class=\"facts\">");
        if (run.Duration is { } duration)
        {
            Fact("Duration", string.Create(Inv, $"{duration.TotalSeconds:F2} s"));
        }

        if (run.Rules is { } rules)
        {
            Fact("Rule set", string.Create(Inv, $"{run.RuleSetName ?? "custom"} ({rules.Count} rule{(rules.Count == 1 ? string.Empty : "s")})"));
        }

        Fact("Aggregation", run.Window is { } window ? $"tumbling windows of {Duration(window)}" : "one aggregate over all input");
        if (run.Inputs.Count > 0)
        {
            Fact("Inputs", string.Create(Inv, $"{run.Inputs.Count:N0}"));
        }

        Raw("</dl>\n<div class=\"grid\">\n");
        if (run.Counters is { } counters)
        {
            WriteCounters(counters);
        }

        if (run.Inputs.Count > 0)
        {
            WriteInputs();
        }

        if (run.AllowList.Count > 0)
        {
            WriteAllowList(run.Counters);
        }

        Raw("</div>\n");

        if (run.Rules is { Count: > 0 } ruleSet)
        {
            WriteRules(ruleSet);
        }

        Raw("</section>\n");
    }

    private void Fact(string name, string value)
    {
        Raw("<dt>");
        Text(name);
        Raw("<dd>");
        Text(value);
    }

    private void WriteCounters(DetectionCounters counters)
    {
        var input = counters.Input;
        Raw("<div><h3>Counters</h3>\n<table id=\"counters\"><tbody>\n");
        CounterRow("records read", input.Read);
        CounterRow("accepted", input.Accepted);
        CounterRow("rejected", input.Rejected);
        CounterRow("skipped", input.Skipped);
        CounterRow("records that are mismatches", counters.RecordsSelected);
        CounterRow("late records (after their window closed)", counters.LateRecords);
        CounterRow("rows emitted", counters.RowsEmitted);
        CounterRow("rows combined", counters.RowsCombined);
        CounterRow("partial rows", counters.RowsPartial);
        long removed = 0;
        foreach (var n in counters.RowsFilteredByEntry)
        {
            removed += n;
        }

        CounterRow("rows removed by the allow-list", removed);
        CounterRow("rows written", counters.RowsWritten);
        Raw("</tbody></table></div>\n");
        Reasons("rejected-reasons", "Rejected records by reason", input.RejectedByReason);
        Reasons("skipped-reasons", "Skipped records by reason", input.SkippedByReason);
    }

    private void CounterRow(string name, long value)
    {
        Raw("<tr><th scope=\"row\">");
        Text(name);
        NumberCell(value);
        Raw("\n");
    }

    private void Reasons(string id, string heading, IReadOnlyDictionary<string, long> reasons)
    {
        if (reasons.Count == 0)
        {
            return;
        }

        var list = new List<KeyValuePair<string, long>>(reasons);
        list.Sort(static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        Raw("<div><h3>");
        Text(heading);
        Raw("</h3>\n<table id=\"");
        Raw(id);
        Raw("\"><thead><tr><th>reason<th class=\"n\">records</thead><tbody>\n");
        foreach (var (reason, count) in list)
        {
            Raw("<tr>");
            Cell(reason);
            NumberCell(count);
            Raw("\n");
        }

        Raw("</tbody></table></div>\n");
    }

    private void WriteInputs()
    {
        Raw("<div><h3>Inputs</h3>\n<table id=\"inputs\"><thead><tr><th>input<th>format<th class=\"n\">read<th class=\"n\">accepted<th class=\"n\">rejected<th class=\"n\">skipped<th>status</thead><tbody>\n");
        foreach (var input in run.Inputs)
        {
            Raw("<tr>");
            Cell(input.Name);
            Cell(input.Format ?? "unknown");
            NumberCell(input.Counters.Read);
            NumberCell(input.Counters.Accepted);
            NumberCell(input.Counters.Rejected);
            NumberCell(input.Counters.Skipped);
            Raw(input.Failed ? "<td class=\"bad\">failed\n" : "<td>read\n");
        }

        Raw("</tbody></table></div>\n");
    }

    private void WriteAllowList(DetectionCounters? counters)
    {
        Raw("<div><h3>Allow-list</h3>\n<table id=\"allow-list\"><thead><tr><th>entry<th class=\"n\">rows removed</thead><tbody>\n");
        for (var i = 0; i < run.AllowList.Count; i++)
        {
            Raw("<tr>");
            Cell(run.AllowList[i].ToString());
            if (counters is not null && i < counters.RowsFilteredByEntry.Count)
            {
                NumberCell(counters.RowsFilteredByEntry[i]);
            }
            else
            {
                Raw("<td class=\"n\">");
            }

            Raw("\n");
        }

        Raw("</tbody></table></div>\n");
    }

    private void WriteRules(RuleSet rules)
    {
        Raw("<details id=\"rules\"><summary>");
        Text(string.Create(Inv, $"Rules ({rules.Count:N0}; {_summary.RowsByRule.Count:N0} with findings)"));
        Raw("</summary>\n<table><thead><tr><th>id<th>name<th>apps<th>expected ports<th class=\"n\">risk<th>ATT&amp;CK<th class=\"n\">findings</thead><tbody>\n");
        foreach (var rule in rules)
        {
            Raw("<tr>");
            Cell(rule.Id);
            Cell(rule.Name);
            Cell(string.Join(", ", rule.Apps));
            Cell(rule.Transport is { } transport ? $"{transport.ToName()}/{rule.ExpectedPorts}" : rule.ExpectedPorts.ToString());
            NumberCell(rule.RiskScore);
            Cell(string.Join(", ", rule.Techniques));
            NumberCell(_summary.RowsByRule.GetValueOrDefault(rule.Id));
            Raw("\n");
        }

        Raw("</tbody></table></details>\n");
    }

    private void WriteTable()
    {
        var windows = false;
        for (var i = 0; i < rows.Count && !windows; i++)
        {
            windows = rows[i].WindowStartMicroseconds is not null;
        }

        Raw("<section id=\"findings\">\n<h2>Findings</h2>\n");
        Raw("<div id=\"controls\" hidden><label>Filter <input id=\"q\" type=\"search\" placeholder=\"any text in a row\" autocomplete=\"off\"></label>");
        Raw("<label>Rule <select id=\"rule\"><option value=\"\">all rules</option></select></label><span id=\"shown\" class=\"muted\"></span><button id=\"more\" type=\"button\" hidden>show 10,000 more</button></div>\n");
        if (rows.Count == 0)
        {
            Raw("<p id=\"no-rows\">No findings.</p>\n</section>\n");
            return;
        }

        Raw("<table id=\"rows\"><thead><tr><th>rule<th class=\"n\">risk<th>ATT&amp;CK<th>source<th>destination<th>app<th>port<th class=\"n\">records<th>first seen<th>last seen");
        if (windows)
        {
            Raw("<th>window");
        }

        // The evidence (#23) goes into the reason cell, a line a field, so that the columns stay the same with and without it.
        Raw("<th>reason</thead>\n<tbody>\n");
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            Raw("<tr><td>");
            Text(ReportSummary.RuleId(row));
            Raw("<td class=\"n\">");
            writer.Write(row.RiskScore.ToString(Inv));
            Raw("<td>");
            var techniques = row.Techniques;
            for (var t = 0; t < techniques.Length; t++)
            {
                if (t > 0)
                {
                    Raw(" ");
                }

                Text(techniques[t]);
            }

            Cell(MismatchRowText.Address(row.SourceAddress));
            Cell(MismatchRowText.Address(row.DestinationAddress));
            Cell(row.App);
            Cell(MismatchRowText.Port(row));
            Raw("<td class=\"n\">");
            writer.Write(row.Count.ToString(Inv));
            Cell(MismatchRowText.Time(row.FirstTimeMicroseconds));
            Cell(MismatchRowText.Time(row.LastTimeMicroseconds));
            if (windows)
            {
                Cell(row.WindowStartMicroseconds is { } start ? MismatchRowText.Time(start) : string.Empty);
            }

            Raw("<td class=\"msg\">");
            Text(MismatchRowText.Reason(row));
            if (row.Evidence is { } evidence)
            {
                foreach (var line in MismatchRowText.Evidence(evidence))
                {
                    Raw("<br>");
                    Text(line);
                }
            }

            Raw("\n");
        }

        Raw("</tbody></table>\n</section>\n");
    }

    /// <summary>
    /// The script's data: JSON whose encoder escapes &lt;, &gt;, &amp;, quotes and all non-ASCII (U+2028 and U+2029 among
    /// them) as \uXXXX, so that nothing in it can close the script element or be read as markup.
    /// </summary>
    private void WriteData()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("rows", rows.Count);
            json.WriteStartArray("rules");
            foreach (var id in _summary.RuleIds)
            {
                if (!_summary.RowsByRule.TryGetValue(id, out var count))
                {
                    continue;
                }

                json.WriteStartObject();
                json.WriteString("id", id);
                json.WriteString("name", run.Rules?.Find(id)?.Name ?? id);
                json.WriteNumber("rows", count);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        Raw("<script type=\"application/json\" id=\"report-data\">");
        Raw(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        Raw("</script>\n");
    }

    internal static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } when span.Ticks % TimeSpan.TicksPerDay == 0 => string.Create(Inv, $"{span.TotalDays:0}d"),
        { TotalHours: >= 1 } when span.Ticks % TimeSpan.TicksPerHour == 0 => string.Create(Inv, $"{span.TotalHours:0}h"),
        { TotalMinutes: >= 1 } when span.Ticks % TimeSpan.TicksPerMinute == 0 => string.Create(Inv, $"{span.TotalMinutes:0}m"),
        _ => string.Create(Inv, $"{span.TotalSeconds:0.###}s"),
    };
}
