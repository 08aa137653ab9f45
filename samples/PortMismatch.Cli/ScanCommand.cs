using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch scan</c>: every input is read by its adapter straight into an aggregator of its own (inputs are read in
/// parallel, one per core); the rows of all inputs are then combined by key (partial and per-input rows add up), filtered
/// by the allow-list, sorted, and written.
/// </summary>
internal static class ScanCommand
{
    private const int MaxDiagnosticsShown = 10;

    public static async Task<int> RunAsync(ScanOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var rules = options.LoadRules();
        var allowList = options.AllowList is null ? AllowList.Empty : AllowListJson.Load(options.AllowList);
        var evaluator = new MismatchEvaluator(rules);
        var aggregatorOptions = AggregatorOptions.Default with
        {
            Grouping = options.Grouping,
            Window = options.Window,
            AllowedLateness = options.Lateness,
        };

        var (inputs, missing) = Inputs.Find(options.Paths, stderr);
        var run = new Run(options, stderr);
        var rows = new ConcurrentBag<MismatchRow>();
        var stopwatch = Stopwatch.StartNew();
        using (var progress = Progress.Start(options, stderr, inputs, run))
        {
            await Parallel.ForEachAsync(
                inputs,
                new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                async (input, ct) =>
                {
                    var sink = new RowBag(rows);
                    var aggregator = new MismatchAggregator(evaluator, sink, aggregatorOptions);
                    await ReadAsync(input, options, aggregator, run, ct).ConfigureAwait(false);
                    aggregator.Complete();
                    run.Add(aggregator);
                }).ConfigureAwait(false);
        }

        var kept = new RowList();
        var filter = new RowFilter(kept, allowList);
        foreach (var row in Combine(rows, rules))
        {
            filter.OnRow(row);
        }

        kept.Rows.Sort(MismatchRowComparer.Instance);
        await WriteAsync(options, kept.Rows, stdout).ConfigureAwait(false);
        if (!options.Quiet)
        {
            run.WriteSummary(inputs.Count, filter, kept.Rows.Count, stopwatch.Elapsed);
        }

        if (missing > 0 || run.UnreadableInputs > 0)
        {
            return CommandLine.Failure;
        }

        return options.FailOnFindings && kept.Rows.Count > 0 ? CommandLine.Findings : CommandLine.Success;
    }

    private static async Task ReadAsync(Input input, ScanOptions options, MismatchAggregator aggregator, Run run, CancellationToken cancellationToken)
    {
        Stream? stream = null;
        try
        {
            stream = input.Open(run);
            var (content, format) = await Inputs.DetectAsync(stream, options.Format, cancellationToken).ConfigureAwait(false);
            if (format == InputFormat.Auto)
            {
                run.Unrecognized(input);
                return;
            }

            var diagnostics = run.Diagnostics;
            var counters = format switch
            {
                InputFormat.Zeek or InputFormat.ZeekJson => await ZeekConnLog.ReadStreamAsync(
                    content, aggregator, new ZeekReaderState(ZeekReaderOptions.Default, input.Name, diagnostics), cancellationToken).ConfigureAwait(false),
                InputFormat.PanOs => await PanOsTrafficInput.ReadStreamAsync(
                    content, aggregator, PanOsReaderOptions.Default with { TimeZone = options.InputTimeZone }, diagnostics, input.Name, cancellationToken).ConfigureAwait(false),
                _ => await IpfixReader.ReadStreamAsync(
                    content, aggregator, new IpfixDecoder(IpfixReaderOptions.Default with { IncludeReplies = options.AllDirections }, diagnostics, input.Name), cancellationToken).ConfigureAwait(false),
            };
            run.Add(input, format, counters);
        }
        catch (InputFormatException e)
        {
            run.Unreadable(input, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            run.Unreadable(input, e.Message);
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sums rows of the same (window, src_ip, dest_ip, app, dest_port): partial rows, late rows and rows of different inputs.</summary>
    private static IEnumerable<MismatchRow> Combine(IEnumerable<MismatchRow> rows, RuleSet rules)
    {
        var combined = new Dictionary<(long?, IPAddressValue, IPAddressValue, string, int), MismatchRow>();
        foreach (var row in rows)
        {
            var key = (row.WindowStartMicroseconds, row.SourceAddress, row.DestinationAddress, row.App, row.DestinationPort);
            if (!combined.TryGetValue(key, out var seen))
            {
                combined[key] = row;
                continue;
            }

            var rule = seen.Rule is null ? row.Rule : row.Rule is null ? seen.Rule : rules.Rules.IndexOf(seen.Rule) <= rules.Rules.IndexOf(row.Rule) ? seen.Rule : row.Rule;
            combined[key] = new MismatchRow(
                row.SourceAddress,
                row.DestinationAddress,
                row.App,
                row.DestinationPort,
                seen.Count + row.Count,
                Math.Min(seen.FirstTimeMicroseconds, row.FirstTimeMicroseconds),
                Math.Max(seen.LastTimeMicroseconds, row.LastTimeMicroseconds),
                rule,
                [.. seen.Transports.Union(row.Transports).Order()])
            {
                WindowStartMicroseconds = row.WindowStartMicroseconds,
                WindowEndMicroseconds = row.WindowEndMicroseconds,
            };
        }

        return combined.Values;
    }

    private static async Task WriteAsync(ScanOptions options, List<MismatchRow> rows, TextWriter stdout)
    {
        await stdout.FlushAsync().ConfigureAwait(false);
        var stream = options.OutputPath is null ? Console.OpenStandardOutput() : File.Create(options.OutputPath);
        var writerOptions = new RowWriterOptions { TimeZone = options.OutputTimeZone, IncludeWindow = options.Window is not null };
        using RowWriter writer = options.Output switch
        {
            OutputFormat.Csv => new CsvRowWriter(stream, writerOptions),
            OutputFormat.JsonLines => new JsonLinesRowWriter(stream, writerOptions),
            _ => new TableRowWriter(stream, writerOptions),
        };
        foreach (var row in rows)
        {
            writer.OnRow(row);
        }
    }

    private sealed class RowBag(ConcurrentBag<MismatchRow> rows) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => rows.Add(row);
    }

    private sealed class RowList : IMismatchRowSink
    {
        public List<MismatchRow> Rows { get; } = [];

        public void OnRow(MismatchRow row) => Rows.Add(row);
    }

    /// <summary>What the inputs did, for the summary on standard error; updated from several threads.</summary>
    internal sealed class Run(ScanOptions options, TextWriter stderr)
    {
        private readonly Lock _lock = new();
        private readonly InputCounters _counters = new();
        private readonly Dictionary<InputFormat, int> _formats = [];
        private int _diagnosticsShown;
        private long _selected;
        private long _records;
        private long _lateRecords;
        private long _earlyRows;
        private long _bytesRead;

        public int UnreadableInputs { get; private set; }

        public long BytesRead => Interlocked.Read(ref _bytesRead);

        public Action<InputDiagnostic> Diagnostics => diagnostic =>
        {
            lock (_lock)
            {
                // Skipped records (templates, other log types) are normal: the summary counts them by reason.
                if (options.Quiet || diagnostic.Outcome != RecordOutcome.Rejected || _diagnosticsShown >= MaxDiagnosticsShown)
                {
                    return;
                }

                _diagnosticsShown++;
                Progress.ClearLine(stderr);
                stderr.WriteLine($"  {diagnostic}");
            }
        };

        public void AddBytes(long count) => Interlocked.Add(ref _bytesRead, count);

        public void Add(Input input, InputFormat format, InputCounters counters)
        {
            lock (_lock)
            {
                _counters.Add(counters);
                _formats[format] = _formats.GetValueOrDefault(format) + 1;
            }
        }

        public void Add(MismatchAggregator aggregator)
        {
            lock (_lock)
            {
                _selected += aggregator.RecordsSelected;
                _records += aggregator.RecordsAdded;
                _lateRecords += aggregator.LateRecords;
                _earlyRows += aggregator.EarlyEmissions;
            }
        }

        public void Unrecognized(Input input)
        {
            lock (_lock)
            {
                if (input.Explicit)
                {
                    UnreadableInputs++;
                }

                Progress.ClearLine(stderr);
                stderr.WriteLine($"portmismatch: {input.Name}: not a Zeek conn.log, PAN-OS log, IPFIX / NetFlow v9 export or capture{(input.Explicit ? string.Empty : "; skipped")}. Use --format to say what it is.");
            }
        }

        public void Unreadable(Input input, string message)
        {
            lock (_lock)
            {
                UnreadableInputs++;
                Progress.ClearLine(stderr);
                stderr.WriteLine($"portmismatch: {input.Name}: {message}");
            }
        }

        public void WriteSummary(int inputs, RowFilter filter, int rows, TimeSpan elapsed)
        {
            var inv = CultureInfo.InvariantCulture;
            var formats = string.Join(", ", _formats.OrderBy(f => f.Key).Select(f => $"{f.Value} {Name(f.Key)}"));
            stderr.WriteLine(string.Create(inv, $"portmismatch: {inputs} input{(inputs == 1 ? string.Empty : "s")} ({formats}) in {elapsed.TotalSeconds:F2} s: {_counters}"));
            foreach (var (reason, count) in _counters.RejectedByReason.OrderByDescending(r => r.Value))
            {
                stderr.WriteLine(string.Create(inv, $"  rejected {count,10:N0}  {reason}"));
            }

            foreach (var (reason, count) in _counters.SkippedByReason.OrderByDescending(r => r.Value))
            {
                stderr.WriteLine(string.Create(inv, $"  skipped  {count,10:N0}  {reason}"));
            }

            stderr.WriteLine(string.Create(inv, $"  {_selected:N0} of {_records:N0} records are mismatches; {rows:N0} rows{(_lateRecords > 0 ? $"; {_lateRecords:N0} late records" : string.Empty)}{(_earlyRows > 0 ? $"; {_earlyRows:N0} rows emitted early and combined" : string.Empty)}"));
            for (var i = 0; i < filter.AllowList.Count; i++)
            {
                stderr.WriteLine(string.Create(inv, $"  allow-list removed {filter.RowsRemovedBy(i):N0} rows: {filter.AllowList[i]}"));
            }
        }

        private static string Name(InputFormat format) => format switch
        {
            InputFormat.Zeek or InputFormat.ZeekJson => "Zeek",
            InputFormat.PanOs => "PAN-OS",
            InputFormat.Pcap => "capture",
            _ => "IPFIX / NetFlow",
        };
    }
}
