using System.Net;

namespace PortMismatch.Cli.Tests;

/// <summary><c>scan --report &lt;file.html&gt;</c>: the run as one HTML page besides the rows.</summary>
public sealed class ReportOptionTests : IDisposable
{
    private const string Header = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n";

    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-report-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task A_scan_writes_its_rows_inputs_and_counters_into_the_report_and_the_rows_still_to_its_output()
    {
        var log = Path.Combine(_temp, "a <b>.log");
        File.WriteAllText(log, Header + "1700000000.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t5353\tudp\tdns\n1700000002.0\tC3\t10.0.0.3\t5000\t10.0.0.4\t8080\ttcp\tssl\n1700000003.0\tC4\tnot-an-address\t5000\t10.0.0.4\t8080\ttcp\tssl\n");
        var report = Path.Combine(_temp, "findings.html");

        var rows = Path.Combine(_temp, "rows.csv");
        var (exit, _, err) = await CliProcess.RunInProcess(TestContext.Current.CancellationToken, "scan", log, "--out", rows, "--report", report);

        Assert.True(exit == 0, err);
        Assert.Equal(3, File.ReadAllLines(rows).Length); // header and two rows
        var html = File.ReadAllText(report);
        Assert.Equal(2, html[html.IndexOf("<table id=\"rows\">", StringComparison.Ordinal)..].Split("\n<tr><td>escu-").Length - 1);
        Assert.Contains("<td>" + WebUtility.HtmlEncode(log), html, StringComparison.Ordinal); // the input, escaped
        Assert.Contains("<tr><th scope=\"row\">rejected<td class=\"n\">1", html, StringComparison.Ordinal);
        Assert.Contains("escu (4 rules)", html, StringComparison.Ordinal);
        Assert.Equal(["a <b>.log", "findings.html", "rows.csv"], Directory.GetFiles(_temp).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no temporary file left
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_fails_before_the_scan()
    {
        var (exit, _, err) = await CliProcess.RunInProcess(TestContext.Current.CancellationToken, "scan", Path.Combine(_temp, "missing.log"), "--report", Path.Combine(_temp, "no", "such", "r.html"));
        Assert.Equal(2, exit);
        Assert.Contains("--report", err, StringComparison.Ordinal);
        Assert.Contains("no such folder", err, StringComparison.Ordinal);
    }
}
