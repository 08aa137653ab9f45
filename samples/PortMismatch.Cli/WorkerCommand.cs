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
        using var finalRows = writer is null ? null : new FlushingSink(writer);
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
            FinalRows = finalRows,
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

        finalRows?.Dispose();
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

    /// <summary>
    /// Writes each row and flushes within <see cref="FlushEvery"/>: a worker runs for days, and a row must be readable soon
    /// after its window is final, but a flush a row (a write system call each) cost the merger more than writing the rows.
    /// </summary>
    private sealed class FlushingSink : IMismatchRowSink, IDisposable
    {
        private static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(100);
        private readonly Lock _lock = new();
        private readonly RowWriter _writer;
        private readonly Timer _timer;
        private bool _unflushed;
        private bool _disposed;

        public FlushingSink(RowWriter writer)
        {
            _writer = writer;
            _timer = new Timer(_ => Flush(), null, FlushEvery, FlushEvery);
        }

        public void OnRow(MismatchRow row)
        {
            lock (_lock)
            {
                _writer.OnRow(row);
                _unflushed = true;
            }
        }

        /// <summary>Stops the timer and flushes what is left.</summary>
        public void Dispose()
        {
            _timer.Dispose();
            Flush();
            lock (_lock)
            {
                _disposed = true;
            }
        }

        private void Flush()
        {
            lock (_lock)
            {
                // the output records a failed write itself (RowOutput.Failure), so a flush does not throw for one
                if (_unflushed && !_disposed)
                {
                    _writer.Flush();
                    _unflushed = false;
                }
            }
        }
    }
}
