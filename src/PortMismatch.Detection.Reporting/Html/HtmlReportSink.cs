namespace PortMismatch.Detection.Reporting;

/// <summary>
/// A <see cref="DetectionPipeline"/>'s sink that keeps the rows of a run and writes them as an <see cref="HtmlReport"/> when
/// the run completes, with the run's counters. The rows stay in memory until then (a report is of one run's findings, not
/// of an endless stream); a pipeline run again writes the report of all rows so far again.
/// </summary>
public sealed class HtmlReportSink : IMismatchRowSink
{
    private readonly string _path;
    private readonly HtmlReportRun _run;
    private readonly List<MismatchRow> _rows = [];
    private readonly object _lock = new();

    /// <summary>Creates a sink that writes the report to a file.</summary>
    /// <param name="path">The report file, replaced at each completion.</param>
    /// <param name="run">What to say about the run (its counters are taken from the pipeline when not set), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    public HtmlReportSink(string path, HtmlReportRun? run)
    {
        ArgumentNullException.ThrowIfNull(path);
        _path = path;
        _run = run ?? HtmlReportRun.Empty;
    }

    /// <summary>Gets the number of rows kept.</summary>
    public int RowCount
    {
        get
        {
            lock (_lock)
            {
                return _rows.Count;
            }
        }
    }

    /// <inheritdoc/>
    public void OnRow(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        lock (_lock)
        {
            _rows.Add(row);
        }
    }

    /// <summary>Writes the report of the rows so far, with <paramref name="counters"/> unless the run description has its own.</summary>
    /// <param name="counters">The run's final counters.</param>
    /// <returns>A completed task.</returns>
    public ValueTask OnCompletedAsync(DetectionCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        MismatchRow[] rows;
        lock (_lock)
        {
            rows = [.. _rows];
        }

        var run = _run.Counters is null
            ? new HtmlReportRun
            {
                Title = _run.Title,
                GeneratedAt = _run.GeneratedAt,
                Generator = _run.Generator,
                Duration = _run.Duration,
                Inputs = _run.Inputs,
                Counters = counters,
                Rules = _run.Rules,
                RuleSetName = _run.RuleSetName,
                AllowList = _run.AllowList,
                Window = _run.Window,
            }
            : _run;
        HtmlReport.Write(_path, rows, run);
        return ValueTask.CompletedTask;
    }
}
