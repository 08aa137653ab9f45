using System.Globalization;
using PortMismatch.Detection.Siem;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch follow &lt;dir&gt;</c>: a <see cref="ZeekLogFollower"/> on the conn.log Zeek writes in a directory feeds
/// one <see cref="DetectionPipeline"/>; with <c>--window</c> each row is written (and flushed) as its window closes, without
/// it the one aggregate is written when the run stops; cancellation (Ctrl-C, SIGTERM) writes the open windows. With
/// <c>--bookmark</c> a restart resumes where the last run stopped.
/// </summary>
internal static class FollowCommand
{
    public static async Task<int> RunAsync(ScanOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var directory = options.Paths[0];
        if (!Directory.Exists(directory))
        {
            throw new IOException(File.Exists(directory)
                ? $"{directory}: not a folder; follow reads the conn.log in the folder Zeek writes to (zeekctl: spool/zeek)."
                : $"{directory}: no such folder.");
        }

        var rules = options.LoadRules();
        var allowList = options.AllowList is null ? AllowList.Empty : AllowLists.Parse(options.AllowList);

        var rejectedLines = new RejectedLines(stderr, options.Quiet);
        void Report(InputDiagnostic diagnostic) => rejectedLines.Report(diagnostic);

        var follower = new ZeekLogFollower(directory, ZeekFollowOptions.Default with { ReaderOptions = options.ZeekOptions, BookmarkPath = options.BookmarkPath }, Report);
        var output = RowOutput.Open(options.OutputPath);
        var writerOptions = new RowWriterOptions { TimeZone = options.OutputTimeZone, IncludeWindow = options.Window is not null };
        var rowStream = options.HecUrl is null ? output : Stream.Null; // with --hec-url the rows go to Splunk alone
        using RowWriter writer = options.Output switch
        {
            OutputFormat.Csv => new CsvRowWriter(rowStream, writerOptions),
            OutputFormat.JsonLines => new JsonLinesRowWriter(rowStream, writerOptions),
            OutputFormat.Ecs => EcsOutput.CreateWriter(rowStream, options.Rules, leaveOpen: false),
            OutputFormat.Ocsf => new OcsfFindingWriter(rowStream, new OcsfWriterOptions { LeaveOpen = writerOptions.LeaveOpen }),
            _ => new TableRowWriter(rowStream, writerOptions),
        };
        var pipelineOptions = new DetectionPipelineOptions
        {
            Rules = rules,
            AllowList = allowList,
            Aggregation = AggregatorOptions.Default with { Window = options.Window, AllowedLateness = options.Lateness, Grouping = options.Grouping },
            MaxDegreeOfParallelism = 1,
            IdleWindowClose = options.Window is null ? null : options.IdleClose,
        };

        await using var hec = HecOutput.Open(options);
        using var pipeline = new DetectionPipeline(pipelineOptions, hec ?? (options.Window is null ? writer : (IMismatchRowSink)new FlushingSink(writer)));
        if (!options.Quiet)
        {
            var when = options.Window is { } window
                ? string.Create(CultureInfo.InvariantCulture, $"rows are written as {window} windows close (by event time, or after {options.IdleClose} without a record)")
                : "rows are written when it stops";
            var bookmark = options.BookmarkPath is null ? string.Empty : $"; bookmark {options.BookmarkPath}";
            await stderr.WriteLineAsync($"portmismatch: following {follower.Name}{bookmark}; {when}. Ctrl-C writes the open windows and stops.").ConfigureAwait(false);
        }

        DetectionResult? result = null;
        try
        {
            result = await pipeline.RunAsync([follower], cancellationToken).ConfigureAwait(false);
            writer.Flush();
        }
        catch (IOException) when (output.Failure is not null)
        {
            // The output failed (a full disk, a closed pipe): reported after the summary.
        }

        var counters = result?.Counters ?? pipeline.GetCounters();
        IReadOnlyList<SourceFailure> failures = result?.Failures ?? [];
        options.Stats?.Listened([RunStatsInput.Create(follower.Name, "zeek", failures.Count > 0, follower.Counters)], counters, allowList);
        if (!options.Quiet)
        {
            await LiveSummary.WriteCountersAsync(stderr, rejectedLines, counters).ConfigureAwait(false);

            var start = follower.Start switch
            {
                ZeekFollowStart.Bookmark => "resumed at the bookmark",
                ZeekFollowStart.BookmarkRotated => "resumed at the bookmark in the rotated file, then the new conn.log",
                ZeekFollowStart.BookmarkLost => "the bookmarked file was gone (deleted, or rotated twice): read conn.log from its start",
                _ => "read from the start of conn.log",
            };
            if (follower.Start != ZeekFollowStart.NotStarted)
            {
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {follower.Name}: {start}; files finished after rotation: {follower.FilesFinished:N0}")).ConfigureAwait(false);
            }

            foreach (var failure in failures)
            {
                await stderr.WriteLineAsync($"portmismatch: {failure}").ConfigureAwait(false);
            }
        }

        if (hec is not null && !await HecOutput.ReportAsync(hec, options, stderr).ConfigureAwait(false))
        {
            return CommandLine.Failure;
        }

        return await LiveSummary.ExitCodeAsync(stderr, options, output, failures, counters).ConfigureAwait(false);
    }

    /// <summary>Writes each row at once: a live run's rows must not wait in a buffer.</summary>
    private sealed class FlushingSink(RowWriter writer) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
            writer.OnRow(row);
            writer.Flush();
        }
    }
}
