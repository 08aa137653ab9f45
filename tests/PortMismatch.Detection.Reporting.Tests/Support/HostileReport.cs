using System.Collections.Immutable;

namespace PortMismatch.Detection.Reporting.Tests.Support;

/// <summary>A report with <see cref="ReportRows.Payload"/> in every field that comes from data or configuration.</summary>
internal sealed class HostileReport
{
    private HostileReport(List<MismatchRow> rows, HtmlReportRun run, List<string> payloads)
    {
        Rows = rows;
        Run = run;
        Payloads = payloads;
    }

    public List<MismatchRow> Rows { get; }

    public HtmlReportRun Run { get; }

    /// <summary>Gets every payload used, each of which must show as text.</summary>
    public List<string> Payloads { get; }

    public string Title => ReportRows.Payload(0);

    public static async Task<HostileReport> CreateAsync()
    {
        var p = Enumerable.Range(0, 14).Select(ReportRows.Payload).ToList();

        // A user's rule file can name anything: id, name, apps and techniques.
        var rule = new DetectionRule(p[8], p[9], [p[10], "ssl"], PortSet.Of(443)) { Techniques = [p[12]], RiskScore = 63 };
        var rules = new RuleSet([rule, .. RuleSet.Escu.Rules]);
        var allowList = new AllowList([new AllowListEntry(p[7]) { App = p[13] }]);

        // Counters as a pipeline makes them, with reasons from a source (the names of an adapter's reasons are data to the report).
        var counters = new InputCounters();
        counters.CountRead();
        counters.CountRejected(p[5]);
        counters.CountRead();
        counters.CountSkipped(p[6]);
        var source = FlowSource.Create(p[3], counters, static (_, _) => Task.CompletedTask);
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Rules = rules, AllowList = allowList }, new NullSink());
        var result = await pipeline.RunAsync([source], TestContext.Current.CancellationToken);

        List<MismatchRow> rows =
        [
            ReportRows.Row(p[10], rule),
            ReportRows.Row(p[11], null, port: 8443, count: 7, first: ReportRows.Start + (2 * ReportRows.Hour), last: ReportRows.Start + (3 * ReportRows.Hour)),
            ReportRows.Row("ssl", RuleSet.Escu.Find("escu-ssl")),
        ];
        var run = new HtmlReportRun
        {
            Title = p[0],
            Generator = p[1],
            RuleSetName = p[2],
            Inputs = [new HtmlReportInput(p[3], p[4], counters)],
            Counters = result.Counters,
            Rules = rules,
            AllowList = allowList,
        };
        return new HostileReport(rows, run, p);
    }

    private sealed class NullSink : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
