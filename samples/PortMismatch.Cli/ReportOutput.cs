using PortMismatch.Detection.Reporting;

namespace PortMismatch.Cli;

/// <summary>
/// <c>--report &lt;file.html&gt;</c>: the run as one self-contained HTML page (<see cref="HtmlReport"/>), written when the
/// scan has written its rows. Like <c>--stats</c>, a temporary file beside it is created before the scan (a path that
/// cannot be written fails at once) and renamed over it at the end, so a browser never opens half a report.
/// </summary>
internal sealed class ReportOutput
{
    private readonly string _path;
    private readonly string _temporary;

    private ReportOutput(string path)
    {
        _path = Path.GetFullPath(path);
        _temporary = Path.Combine(Path.GetDirectoryName(_path) ?? ".", $".{Path.GetFileName(_path)}.{Environment.ProcessId}.tmp");
    }

    /// <summary>Creates the temporary file, or returns null without --report.</summary>
    public static ReportOutput? Open(ScanOptions options)
    {
        if (options.ReportPath is not { } path)
        {
            return null;
        }

        var report = new ReportOutput(path);
        try
        {
            File.WriteAllBytes(report._temporary, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e switch
            {
                DirectoryNotFoundException => "no such folder",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new IOException($"--report {path}: cannot write a file there: {why}.", e);
        }

        return report;
    }

    /// <summary>Writes the report of a scan and renames it into place.</summary>
    public void Write(ScanOptions options, IReadOnlyList<MismatchRow> rows, IReadOnlyList<InputState> states, DetectionCounters counters, RuleSet rules, AllowList allowList, TimeSpan elapsed)
    {
        var inputs = new List<HtmlReportInput>(states.Count);
        foreach (var state in states)
        {
            inputs.Add(new HtmlReportInput(state.Input.Name, state.Format?.Name, state.Counters()) { Failed = state.Failed });
        }

        var run = new HtmlReportRun
        {
            Title = "Port mismatch report",
            GeneratedAt = DateTimeOffset.UtcNow,
            Generator = $"portmismatch {RunStats.ToolVersion()}",
            Duration = elapsed,
            Inputs = inputs,
            Counters = counters,
            Rules = rules,
            RuleSetName = options.Rules,
            AllowList = allowList,
            Window = options.Window,
        };
        try
        {
            HtmlReport.Write(_temporary, rows, run);
            File.Move(_temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Delete();
            throw new IOException($"--report {_path}: cannot write the report: {e.Message}", e);
        }
    }

    /// <summary>Removes the temporary file of a run that ended without a report.</summary>
    public void Delete()
    {
        try
        {
            File.Delete(_temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: a dot file beside where the report would be.
        }
    }
}
