using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PortMismatch.Cli;

/// <summary>
/// <c>--stats &lt;file&gt;</c>: a run summary as JSON for schedulers and dashboards (the fields are described in the CLI
/// README and in docs/schemas/run-stats.schema.json). The file is written once, when the run ends however it ends (rc 0, 1,
/// 2, interrupted), to a temporary file beside it that is then renamed over it, so a reader never sees half a file. The
/// temporary file is created before the run, so that a path that cannot be written fails at once rather than after a scan.
/// </summary>
internal sealed class RunStats
{
    /// <summary>The source-generated context, with input names and messages written as they are (not \u0027 for a quote): a file, not HTML.</summary>
    private static readonly RunStatsJson Json = new(new JsonSerializerOptions(RunStatsJson.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private readonly string _command;
    private readonly string _path;
    private readonly string _temporary;
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Func<List<RunStatsInput>>? _inputs;
    private DetectionCounters? _counters;
    private AllowList _allowList = AllowList.Empty;

    /// <summary>Gets whether --baseline is in use: the rows then say what it suppressed and evicted.</summary>
    public bool BaselineInUse { get; init; }

    private RunStats(string command, string path)
    {
        _command = command;
        _path = Path.GetFullPath(path);
        _temporary = Path.Combine(Path.GetDirectoryName(_path) ?? ".", $".{Path.GetFileName(_path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllBytes(_temporary, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e switch
            {
                DirectoryNotFoundException => "no such folder",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new IOException($"--stats {path}: cannot write a file there: {why}.", e);
        }
    }

    /// <summary>
    /// Runs a command; with <c>--stats</c>, writes the summary when it ends, also when it throws (then with exit code 2, as
    /// <see cref="CommandLine"/> reports the exception, and <c>error</c> set) or is interrupted.
    /// </summary>
    public static async Task<int> RunAsync(string command, ScanOptions options, Func<CancellationToken, Task<int>> run, CancellationToken cancellationToken)
    {
        if (options.StatsPath is null)
        {
            return await run(cancellationToken).ConfigureAwait(false);
        }

        var stats = new RunStats(command, options.StatsPath) { BaselineInUse = options.BaselinePath is not null };
        options.Stats = stats;
        int exitCode;
        try
        {
            exitCode = await run(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var interrupted = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
            try
            {
                stats.Write(CommandLine.Failure, interrupted, interrupted ? "interrupted" : e.Message);
            }
            catch (IOException)
            {
                // The run's own failure is the one to report.
            }

            throw;
        }

        stats.Write(exitCode, cancellationToken.IsCancellationRequested, error: null);
        return exitCode;
    }

    /// <summary>What a scan read: its inputs (read when the summary is written, so that failures found later count) and the pipeline's counters.</summary>
    public void Scanned(IReadOnlyList<InputState> states, DetectionCounters counters, AllowList allowList)
    {
        _inputs = () =>
        {
            var inputs = new List<RunStatsInput>(states.Count);
            foreach (var state in states)
            {
                inputs.Add(RunStatsInput.Create(state.Input.Name, state.Format?.Name, state.Failed, state.Counters()));
            }

            return inputs;
        };
        _counters = counters;
        _allowList = allowList;
    }

    /// <summary>What a listen run received: one input per collector, and the pipeline's counters.</summary>
    public void Listened(List<RunStatsInput> inputs, DetectionCounters counters, AllowList allowList)
    {
        _inputs = () => inputs;
        _counters = counters;
        _allowList = allowList;
    }

    /// <summary>The tool's version, as <c>--version</c> prints it (the informational version, without the commit).</summary>
    internal static string ToolVersion()
    {
        var version = typeof(RunStats).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }

    private static string UtcText(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void Write(int exitCode, bool interrupted, string? error)
    {
        var end = _start + _clock.Elapsed;
        var document = new RunStatsDocument
        {
            Command = _command,
            ToolVersion = ToolVersion(),
            StartTime = UtcText(_start),
            EndTime = UtcText(end),
            DurationSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3),
            ExitCode = exitCode,
            Interrupted = interrupted,
            Error = error,
            Inputs = _inputs?.Invoke() ?? [],
        };

        if (_counters is { } counters)
        {
            document.Total = RunStatsCounters.Create(counters.Input);
            document.RecordsSelected = counters.RecordsSelected;
            document.LateRecords = counters.LateRecords;
            long removed = 0;
            var entries = new List<RunStatsAllowListEntry>(_allowList.Count);
            for (var i = 0; i < _allowList.Count; i++)
            {
                var rows = i < counters.RowsFilteredByEntry.Count ? counters.RowsFilteredByEntry[i] : 0;
                removed += rows;
                entries.Add(new RunStatsAllowListEntry { Entry = _allowList[i].ToString(), RowsRemoved = rows });
            }

            document.Rows = new RunStatsRows
            {
                Emitted = counters.RowsEmitted,
                Written = counters.RowsWritten,
                Combined = counters.RowsCombined,
                Partial = counters.RowsPartial,
                RemovedByAllowList = removed,
                SuppressedAsBaseline = BaselineInUse ? counters.RowsSuppressedAsBaseline : null,
                BaselineEvictions = BaselineInUse ? counters.FirstSeenEvictions : null,
            };
            document.AllowList = entries;
        }

        try
        {
            using (var file = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(file, document, Json.RunStatsDocument);
                file.WriteByte((byte)'\n');
            }

            File.Move(_temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(_temporary);
            throw new IOException($"--stats {_path}: cannot write the run summary: {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: a dot file beside the summary.
        }
    }
}
