using System.Globalization;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch listen</c>: IPFIX / NetFlow v9 and PAN-OS syslog collectors on UDP feed one <see cref="DetectionPipeline"/>
/// with windows; each row is written (and flushed) as its window closes; cancellation (Ctrl-C, SIGTERM) emits the open windows.
/// </summary>
internal static class ListenCommand
{
    private const int MaxDiagnosticsShown = 10;

    public static async Task<int> RunAsync(ScanOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var rules = options.LoadRules();
        var allowList = options.AllowList is null ? AllowList.Empty : AllowListJson.Load(options.AllowList);
        var shown = 0;
        var diagnosticsLock = new object();
        void Report(InputDiagnostic diagnostic)
        {
            lock (diagnosticsLock)
            {
                if (!options.Quiet && diagnostic.Outcome == RecordOutcome.Rejected && shown++ < MaxDiagnosticsShown)
                {
                    stderr.WriteLine($"  {diagnostic}");
                }
            }
        }

        var sources = new List<IFlowSource>();
        IpfixUdpCollector? ipfix = null;
        PanOsSyslogUdpCollector? syslog = null;
        try
        {
            if (options.IpfixListen is { } ipfixEndPoint)
            {
                ipfix = new IpfixUdpCollector(ipfixEndPoint, IpfixReaderOptions.Default with { IncludeReplies = options.AllDirections, MaxClockSkew = options.MaxClockSkew }, Report);
                sources.Add(ipfix);
            }

            if (options.SyslogListen is { } syslogEndPoint)
            {
                syslog = new PanOsSyslogUdpCollector(syslogEndPoint, PanOsReaderOptions.Default with { TimeZone = options.InputTimeZone, MaxClockSkew = options.MaxClockSkew }, Report);
                sources.Add(syslog);
            }

            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            var output = RowOutput.Open(options.OutputPath);
            var writerOptions = new RowWriterOptions { TimeZone = options.OutputTimeZone, IncludeWindow = true };
            using RowWriter writer = options.Output switch
            {
                OutputFormat.Csv => new CsvRowWriter(output, writerOptions),
                OutputFormat.JsonLines => new JsonLinesRowWriter(output, writerOptions),
                _ => new TableRowWriter(output, writerOptions),
            };
            var pipelineOptions = new DetectionPipelineOptions
            {
                Rules = rules,
                AllowList = allowList,
                Aggregation = AggregatorOptions.Default with { Window = options.Window, AllowedLateness = options.Lateness, Grouping = options.Grouping },
                MaxDegreeOfParallelism = sources.Count,
                IdleWindowClose = options.IdleClose,
            };

            using var pipeline = new DetectionPipeline(pipelineOptions, new FlushingSink(writer));
            if (!options.Quiet)
            {
                var on = string.Join(" and ", sources.Select(s => s.Name));
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"portmismatch: listening on {on}; rows are written as {options.Window} windows close (by event time, or after {options.IdleClose} without a record). Ctrl-C writes the open windows and stops.")).ConfigureAwait(false);
            }

            DetectionResult? result = null;
            try
            {
                result = await pipeline.RunAsync(sources, cancellationToken).ConfigureAwait(false);
                writer.Flush();
            }
            catch (IOException) when (output.Failure is not null)
            {
                // The output failed (a full disk, a closed pipe): the pipeline stopped the run and rethrew the writer's
                // exception. Reported after the summary.
            }

            var counters = result?.Counters ?? pipeline.GetCounters();
            IReadOnlyList<SourceFailure> failures = result?.Failures ?? [];
            if (!options.Quiet)
            {
                await stderr.WriteLineAsync($"portmismatch: stopped: {counters}").ConfigureAwait(false);
                foreach (var (reason, count) in counters.Input.RejectedByReason.OrderByDescending(r => r.Value))
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  rejected {count,10:N0}  {reason}")).ConfigureAwait(false);
                }

                foreach (var (reason, count) in counters.Input.SkippedByReason.OrderByDescending(r => r.Value))
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  skipped  {count,10:N0}  {reason}")).ConfigureAwait(false);
                }

                if (ipfix is not null)
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {ipfix.LocalEndPoint}: {ipfix.DatagramsReceived:N0} datagrams, {ipfix.DatagramsDroppedBySocket?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown"} dropped by the socket")).ConfigureAwait(false);
                }

                if (syslog is not null)
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {syslog.LocalEndPoint}: {syslog.DatagramsReceived:N0} datagrams, {syslog.DatagramsDroppedBySocket?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown"} dropped by the socket")).ConfigureAwait(false);
                }

                foreach (var failure in failures)
                {
                    await stderr.WriteLineAsync($"portmismatch: {failure}").ConfigureAwait(false);
                }
            }

            if (output.Failure is not null)
            {
                await stderr.WriteLineAsync($"portmismatch: {output.Describe()}").ConfigureAwait(false);
                return CommandLine.Failure;
            }

            if (failures.Count > 0)
            {
                return CommandLine.Failure;
            }

            return options.FailOnFindings && counters.RowsWritten > 0 ? CommandLine.Findings : CommandLine.Success;
        }
        finally
        {
            ipfix?.Dispose();
            syslog?.Dispose();
        }
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
