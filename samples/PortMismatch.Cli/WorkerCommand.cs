using System.Globalization;
using PortMismatch.Detection.Nats;
using PortMismatch.Detection.Siem;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch worker</c>: one <see cref="NatsDetectionWorker"/> until Ctrl-C or SIGTERM (then it commits what it read
/// and gives its leases back, exit 0). Final rows go to <c>findings.final</c>; while this process is the merger, also to
/// --out / --output when one is given.
/// </summary>
internal static class WorkerCommand
{
    public static async Task<int> RunAsync(ScanOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var rules = options.LoadRules();
        var allowList = options.AllowList is null ? AllowList.Empty : AllowLists.Parse(options.AllowList);
        var writesRows = options.OutputPath is not null || options.Given.Contains("--output");
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        using var output = writesRows ? RowOutput.Open(options.OutputPath) : null;
        using var writer = output is null ? null : CreateWriter(options, output);
        var workerOptions = new NatsWorkerOptions
        {
            Urls = options.NatsUrls,
            Stream = options.NatsStream,
            FindingsStream = options.FindingsStream,
            Partitions = options.Partitions,
            Replicas = options.Replicas,
            WorkerId = options.WorkerId,
            Window = options.Window!.Value,
            AllowedLateness = options.Lateness,
            Rules = rules,
            AllowList = allowList,
            IdleTimeout = options.Given.Contains("--idle-close") ? options.IdleClose : new NatsWorkerOptions().IdleTimeout,
            FinalRows = writer is null ? null : new FlushingSink(writer),
        };
        await using var worker = new NatsDetectionWorker(workerOptions);
        if (!options.Quiet)
        {
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"portmismatch: worker {worker.WorkerId} on {string.Join(',', options.NatsUrls)}, stream {options.NatsStream} ({options.Partitions} partitions), {options.Window} windows; Ctrl-C commits and stops.")).ConfigureAwait(false);
        }

        using var status = new CancellationTokenSource();
        var statusTask = options.Quiet ? Task.CompletedTask : ReportAsync(worker, stderr, status.Token);
        try
        {
            await worker.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return CommandLine.Failure;
        }
        catch (NATS.Client.Core.NatsException e)
        {
            await stderr.WriteLineAsync($"portmismatch: NATS: {e.Message}").ConfigureAwait(false);
            return CommandLine.Failure;
        }
        finally
        {
            await status.CancelAsync().ConfigureAwait(false);
            await statusTask.ConfigureAwait(false);
        }

        writer?.Flush();
        if (!options.Quiet)
        {
            var writes = worker.CheckpointWrites;
            var each = writes == 0 ? 0 : worker.CheckpointTime.TotalMilliseconds / writes;
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"portmismatch: worker {worker.WorkerId} stopped: {worker.MessagesRead:N0} messages read, {worker.SegmentsCommitted:N0} segments committed, {worker.FinalRowsPublished:N0} final rows published as the merger; {writes:N0} checkpoint writes, {each:0.00} ms each.")).ConfigureAwait(false);
        }

        return output?.Failure is null ? CommandLine.Success : CommandLine.Failure;
    }

    /// <summary>A line a minute on standard error: partitions held, messages read, the lag, whether this worker is the merger.</summary>
    private static async Task ReportAsync(NatsDetectionWorker worker, TextWriter stderr, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var partitions = worker.Partitions;
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"portmismatch: worker {worker.WorkerId}: partitions {(partitions.Count == 0 ? "none" : string.Join(',', partitions))}{(worker.IsMerger ? " and the merger" : string.Empty)}; {worker.MessagesRead:N0} messages read, lag {worker.Lag:N0}.")).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static RowWriter CreateWriter(ScanOptions options, Stream stream)
    {
        var writerOptions = new RowWriterOptions { TimeZone = options.OutputTimeZone, IncludeWindow = true };
        return options.Output switch
        {
            OutputFormat.Csv => new CsvRowWriter(stream, writerOptions),
            OutputFormat.JsonLines => new JsonLinesRowWriter(stream, writerOptions),
            OutputFormat.Ecs => EcsOutput.CreateWriter(stream, options.Rules, leaveOpen: false),
            OutputFormat.Ocsf => new OcsfFindingWriter(stream, new OcsfWriterOptions { LeaveOpen = writerOptions.LeaveOpen }),
            _ => new TableRowWriter(stream, writerOptions),
        };
    }

    /// <summary>Writes and flushes each row: a worker runs for days, and a row must be readable when its window is final.</summary>
    private sealed class FlushingSink(RowWriter writer) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
            writer.OnRow(row);
            writer.Flush();
        }
    }
}
