using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Siem;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch scan</c>: the inputs are the sources of a <see cref="DetectionPipeline"/> (read in parallel, one per core;
/// a large Zeek file is split into four parts per core), which aggregates, merges, applies the allow-list and hands over
/// final rows (<see cref="DetectionPipelineOptions.CombineRows"/>: combined and sorted); they are then written.
/// </summary>
internal static class ScanCommand
{
    private const int MaxDiagnosticsShown = 10;

    /// <summary>From this many rows on, formatting them uses two cores.</summary>
    private const int ParallelFrom = 4096;

    /// <summary>A Zeek file of at least twice this size is read in parallel parts.</summary>
    private const long SplitThreshold = 8L << 20;

    /// <summary>
    /// A large Zeek file alone is read in this many parts per core (each at least 8 MiB): the pipeline's lanes take them as
    /// they finish, so a core slowed by other work reads fewer.
    /// </summary>
    private const int PartsPerCore = 4;

    public static async Task<int> RunAsync(ScanOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var rules = options.LoadRules();
        var allowList = options.AllowList is null ? AllowList.Empty : AllowLists.Parse(options.AllowList);
        if (options.SuppressSeenDays is not null && options.BaselinePath is null)
        {
            throw new UsageException("--suppress-seen-days needs --baseline <file>.");
        }

        using var baseline = options.BaselinePath is null ? null : FirstSeenStore.Open(options.BaselinePath);
        var pipelineOptions = new DetectionPipelineOptions
        {
            Rules = rules,
            AllowList = allowList,
            Aggregation = AggregatorOptions.Default with
            {
                Grouping = options.Grouping,
                Window = options.Window,
                AllowedLateness = options.Lateness,
            },
            MaxDegreeOfParallelism = Environment.ProcessorCount,
            CombineRows = true,
            FirstSeen = baseline,
            SuppressSeenOnDays = options.SuppressSeenDays,
        };

        var found = Inputs.Find(options.Paths, stderr, options.Quiet, cancellationToken);
        var inputs = found.Inputs;
        var stopwatch = Stopwatch.StartNew();

        // Opened first, so that an output that cannot be created fails before the scan rather than after it.
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        var report = ReportOutput.Open(options);
        try
        {
            var output = RowOutput.Open(options.OutputPath);
            await using (output.ConfigureAwait(false))
            {
                // A large Zeek file alone is split without reading it for header lines first (ZeekConnInput.SplitFile, which saves a
                // read of most of the file); when its parts did not read it as one reader would (a concatenated log with a new
                // header before its last part), that run is discarded and the file is read again with the checked split.
                var companions = options.Evidence == false ? [] : Companions(inputs);
                var (run, result, kept, states, join) = await ScanAsync(inputs, options, pipelineOptions, companions, stderr, optimistic: inputs.Count == 1 && baseline is null, cancellationToken).ConfigureAwait(false)
                    ?? await ScanAsync(inputs, options, pipelineOptions, companions, stderr, optimistic: false, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("A scan without an unchecked split cannot need a second read.");
                var evidence = join is null ? null : await JoinEvidenceAsync(join, companions, kept.Rows, stderr, cancellationToken).ConfigureAwait(false);

                foreach (var state in states)
                {
                    run.CheckRejections(state, options.MaxRejected);
                }

                var rows = kept.Rows;
                var hec = HecOutput.Open(options);
                await using (hec)
                {
                    try
                    {
                        if (hec is null)
                        {
                            Write(options, rows, output, cancellationToken);
                        }
                        else
                        {
                            rows.ForEach(hec.OnRow);
                            await hec.OnCompletedAsync(result.Counters).ConfigureAwait(false);
                        }
                    }
                    catch (IOException) when (output.Failure is not null)
                    {
                        // Reported after the summary.
                    }
                }

                if (report is not null)
                {
                    report.Write(options, rows, states, result.Counters, rules, allowList, stopwatch.Elapsed);
                }

                if (!options.Quiet)
                {
                    run.WriteSummary(inputs.Count, result.Counters, found.NotRead, allowList, rows.Count, output.Failure is null, stopwatch.Elapsed);
                    if (evidence is not null)
                    {
                        await stderr.WriteLineAsync(evidence).ConfigureAwait(false);
                    }
                }

                if (hec is not null && !await HecOutput.ReportAsync(hec, options, stderr).ConfigureAwait(false))
                {
                    return CommandLine.Failure;
                }

                if (output.Failure is not null)
                {
                    await stderr.WriteLineAsync($"portmismatch: {output.Describe()}").ConfigureAwait(false);
                    return CommandLine.Failure;
                }

                if (found.Missing > 0 || run.FailedInputs > 0)
                {
                    return CommandLine.Failure;
                }

                return options.FailOnFindings && rows.Count > 0 ? CommandLine.Findings : CommandLine.Success;
            }
        }
        finally
        {
            report?.Delete(); // the temporary file, when the run ended before the report was renamed into place
        }
    }

    /// <summary>
    /// Reads the inputs through one pipeline run; null when an unchecked split (<paramref name="optimistic"/>) did not read
    /// its file as one reader would, and everything it produced was dropped (its diagnostics were held back until then).
    /// </summary>
    private static async Task<(Run Run, DetectionResult Result, RowList Kept, List<InputState> States, EvidenceJoin? Join)?> ScanAsync(
        List<Input> inputs, ScanOptions options, DetectionPipelineOptions pipelineOptions, List<string> companions, TextWriter stderr, bool optimistic, CancellationToken cancellationToken)
    {
        var run = new Run(options, stderr);
        var join = companions.Count > 0 ? new EvidenceJoin(pipelineOptions.Rules) : null;
        var kept = new RowList();
        var sources = new List<IFlowSource>();
        var splits = new List<ZeekFileSplit>();
        var states = new List<InputState>(inputs.Count);
        foreach (var input in inputs)
        {
            var state = new InputState(input);
            state.Sources.AddRange(Sources(state, options, run, optimistic ? splits : null));
            sources.AddRange(join is null ? state.Sources : state.Sources.Select(join.Tap));
            states.Add(state);
        }

        DetectionResult result;
        using (var pipeline = new DetectionPipeline(pipelineOptions, kept))
        using (Progress.Start(options, stderr, inputs, run, () => pipeline.GetCounters().Input.Read))
        {
            result = await pipeline.RunAsync(sources, cancellationToken).ConfigureAwait(false);
        }

        options.Stats?.Scanned(states, result.Counters, pipelineOptions.AllowList); // --stats, also when interrupted

        cancellationToken.ThrowIfCancellationRequested();
        if (!splits.TrueForAll(split => split.ReadAsOne))
        {
            return null;
        }

        run.ReleaseDiagnostics();
        foreach (var state in states)
        {
            if (state.Sources is not [InputSource])
            {
                // The parts of a split file: the input ends with the run (one InputSource says so itself).
                run.EndOfInput(state.Input.Name, state.Counters().Rejected);
            }
        }

        foreach (var failure in result.Failures)
        {
            states.Find(state => state.Sources.Exists(source => source.Name == failure.SourceName))?.Fail();
            run.Unreadable(failure.SourceName, failure.Error);
        }

        return (run, result, kept, states, join);
    }

    /// <summary>The companion logs (ssl.log, http.log, ...) next to each conn.log input, each once.</summary>
    private static List<string> Companions(List<Input> inputs)
    {
        var found = new List<string>();
        foreach (var input in inputs)
        {
            if (input.Path is { } path && !input.IsStream)
            {
                if (LooksLikeEve(path) && !found.Contains(path, StringComparer.Ordinal))
                {
                    found.Add(path); // Suricata EVE: the file's own tls, http, dns and ssh events are the evidence
                }

                foreach (var companion in ZeekEvidenceLog.FindCompanions(path))
                {
                    if (!found.Contains(companion, StringComparer.Ordinal))
                    {
                        found.Add(companion);
                    }
                }
            }
        }

        return found;
    }

    /// <summary>Whether a file (plain or gzip) starts with a JSON object that has an <c>event_type</c>: Suricata EVE.</summary>
    private static bool LooksLikeEve(string path)
    {
        try
        {
            using var file = RegularFile.Open(path); // a FIFO or a device is not opened (its open or read would wait for ever)
            if (file is null)
            {
                return false;
            }

            Span<byte> magic = stackalloc byte[2];
            var gzip = file.Read(magic) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            file.Position = 0;
            using var stream = gzip ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : (Stream)file;
            var head = new byte[4096];
            var length = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            var line = head.AsSpan(0, length);
            var end = line.IndexOf((byte)'\n');
            line = (end < 0 ? line : line[..end]).TrimStart(" \t\r\uFEFF"u8);
            return line.StartsWith("{"u8) && line.IndexOf("\"event_type\""u8) >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the companion logs into the join and gives the rows their evidence; returns the summary line. A companion
    /// that cannot be read is reported and left out (the rows are still written).
    /// </summary>
    private static async Task<string> JoinEvidenceAsync(EvidenceJoin join, List<string> companions, List<MismatchRow> rows, TextWriter stderr, CancellationToken cancellationToken)
    {
        var joined = new List<string>();
        foreach (var companion in companions)
        {
            try
            {
                var file = RegularFile.Open(companion); // not a FIFO or device; null when empty
                if (file is null)
                {
                    continue;
                }

                await using (file.ConfigureAwait(false))
                {
                    if (LooksLikeEve(companion))
                    {
                        var eve = await SuricataEvidenceLog.ReadAsync(file, Path.GetFileName(companion), join, cancellationToken).ConfigureAwait(false);
                        joined.Add(string.Create(CultureInfo.InvariantCulture, $"{eve.InputName} ({eve.Joined} of {eve.Joined + eve.Unmatched} tls/http/dns/ssh events joined{(eve.Rejected > 0 ? $", {eve.Rejected} rejected" : string.Empty)})"));
                        continue;
                    }

                    var counts = await ZeekEvidenceLog.ReadAsync(file, Path.GetFileName(companion), join, cancellationToken).ConfigureAwait(false);
                    joined.Add(string.Create(CultureInfo.InvariantCulture, $"{counts.InputName} ({counts.Joined} of {counts.Read} records joined{(counts.Rejected > 0 ? $", {counts.Rejected} rejected" : string.Empty)})"));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CompressedInputException)
            {
                await stderr.WriteLineAsync($"portmismatch: evidence: cannot read {companion}: {e.Message}").ConfigureAwait(false);
            }
        }

        var given = join.Attach(rows);
        var counters = join.Counters;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"evidence: {(joined.Count == 0 ? "no companion log read" : string.Join(", ", joined))}; {given} rows with evidence; flows tracked {counters.FlowsTracked}{(counters.FlowsOverCap > 0 ? $", {counters.FlowsOverCap} over the cap of {join.Options.MaxFlows} (their rows have no evidence from them)" : string.Empty)}{(counters.FlowsWithoutId > 0 ? $", {counters.FlowsWithoutId} without a flow id" : string.Empty)}");
    }

    /// <summary>
    /// The sources of one input: a large uncompressed Zeek file is read in parallel parts (<see cref="PartsPerCore"/> per
    /// core; without a check first when <paramref name="splits"/> collects the splits to check afterwards); anything else
    /// is one source that detects its format (and gzip) from its first bytes.
    /// </summary>
    private static IEnumerable<IFlowSource> Sources(InputState state, ScanOptions options, Run run, List<ZeekFileSplit>? splits)
    {
        var input = state.Input;
        var formats = options.Formats;
        if (input.Path is { } path && !input.IsStream && input.Length >= 2 * SplitThreshold && (formats.Forced is null || formats.ReadsAsZeek(formats.Forced)))
        {
            var head = new byte[FlowInput.HeadLength];
            int length;
            try
            {
                using var file = RegularFile.Open(path);
                length = file?.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) ?? 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Changed since the walk: read as one source, which reports why.
                length = 0;
            }

            // The file's own first bytes: gzip is no format's, so a gzip file is one source (which unwraps it) unless --format zeek.
            var format = length == 0 ? null : formats.Resolve(head.AsSpan(0, length), formats.All.FirstOrDefault(f => f.IsMatch(head.AsSpan(0, length))), out _);
            if (formats.ReadsAsZeek(format))
            {
                IReadOnlyList<IFlowSource> parts;
                if (splits is null)
                {
                    parts = ZeekConnInput.FileSources(path, PartsPerCore * Environment.ProcessorCount, options.ZeekOptions, run.Diagnostics);
                }
                else
                {
                    var split = ZeekConnInput.SplitFile(path, PartsPerCore * Environment.ProcessorCount, options.ZeekOptions, run.Diagnostics);
                    splits.Add(split);
                    parts = split.Sources;
                    run.HoldDiagnostics = parts.Count > 1; // until the parts are known to have read the file as one
                }

                state.Format = formats.Zeek;
                run.AddFormat(formats.Zeek);
                run.AddSplit(parts.Count);
                return parts.Select(part => CountBytes(part, input.Length / parts.Count, run));
            }
        }

        return [new InputSource(state, options, run)];
    }

    /// <summary>A part of a split file: its share of the file's bytes counts toward progress when it is done.</summary>
    private static IFlowSource CountBytes(IFlowSource part, long bytes, Run run) => FlowSource.Create(part.Name, part.Counters, async (sink, ct) =>
    {
        await part.ReadAsync(sink, ct).ConfigureAwait(false);
        run.AddBytes(bytes);
    });

    /// <summary>Writes the rows; a write that fails throws its <see cref="IOException"/> (the output remembers it).</summary>
    private static void Write(ScanOptions options, List<MismatchRow> rows, RowOutput output, CancellationToken cancellationToken)
    {
        var writerOptions = new RowWriterOptions { TimeZone = options.OutputTimeZone, IncludeWindow = options.Window is not null, LeaveOpen = true };
        if (options.Output is OutputFormat.Csv or OutputFormat.JsonLines or OutputFormat.Ocsf && rows.Count >= ParallelFrom && Environment.ProcessorCount > 1)
        {
            WriteInPairs(output, rows, options.Output, writerOptions, cancellationToken);
            return;
        }

        using var writer = CreateWriter(options.Output, output, writerOptions, options.Rules);
        for (var i = 0; i < rows.Count; i++)
        {
            if ((i & 4095) == 4095)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            writer.OnRow(rows[i]);
        }
    }

    /// <summary>
    /// Writes CSV or JSON Lines rows formatted on two cores: two chunks at a time, each into its own buffer (only the very
    /// first with the header), then both to the stream in order; memory stays at two chunks of text (formatting is part of
    /// a large scan's serial tail, after every core has finished reading).
    /// </summary>
    private static void WriteInPairs(Stream stream, List<MismatchRow> rows, OutputFormat format, RowWriterOptions writerOptions, CancellationToken cancellationToken)
    {
        const int Chunk = 2048; // about 160 KiB of CSV a buffer: both stay in cache and stop growing after the first pair
        ArrayBufferWriter<byte>[] buffers = [new(256 * 1024), new(256 * 1024)];
        for (var start = 0; start < rows.Count; start += 2 * Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Parallel.For(0, 2, k =>
            {
                var buffer = buffers[k];
                buffer.ResetWrittenCount();
                using var writer = CreateWriter(format, buffer, writerOptions with { IncludeHeader = start == 0 && k == 0 });
                for (int i = start + (k * Chunk), end = Math.Min(rows.Count, i + Chunk); i < end; i++)
                {
                    writer.OnRow(rows[i]);
                }
            });

            stream.Write(buffers[0].WrittenSpan);
            stream.Write(buffers[1].WrittenSpan);
        }

        stream.Flush();
    }

    private static RowWriter CreateWriter(OutputFormat format, Stream stream, RowWriterOptions options, string rules) => format switch
    {
        OutputFormat.Csv => new CsvRowWriter(stream, options),
        OutputFormat.JsonLines => new JsonLinesRowWriter(stream, options),
        OutputFormat.Ecs => EcsOutput.CreateWriter(stream, rules, options.LeaveOpen),
        OutputFormat.Ocsf => new OcsfFindingWriter(stream, new OcsfWriterOptions { LeaveOpen = options.LeaveOpen }),
        _ => new TableRowWriter(stream, options),
    };

    private static RowWriter CreateWriter(OutputFormat format, IBufferWriter<byte> output, RowWriterOptions options) => format switch
    {
        OutputFormat.Csv => new CsvRowWriter(output, options),
        OutputFormat.Ocsf => new OcsfFindingWriter(output, new OcsfWriterOptions { LeaveOpen = options.LeaveOpen }),
        _ => new JsonLinesRowWriter(output, options),
    };

    /// <summary>The final rows of a run, kept until it is known not to be read again (an unchecked split).</summary>
    private sealed class RowList : IMismatchRowSink
    {
        public List<MismatchRow> Rows { get; } = [];

        public void OnRow(MismatchRow row) => Rows.Add(row);
    }

    /// <summary>What the inputs did, for the summary on standard error; updated from several threads.</summary>
    internal sealed class Run(ScanOptions options, TextWriter stderr)
    {
        /// <summary>The order of the formats in the summary.</summary>
        private static readonly string[] SummaryOrder = ["Zeek", "Suricata", "PAN-OS", "IPFIX / NetFlow", "capture"];

        private readonly Lock _lock = new();
        private readonly Dictionary<string, int> _formats = [];
        private readonly List<InputDiagnostic> _held = [];
        private readonly Dictionary<string, int> _diagnosticsShown = new(StringComparer.Ordinal);
        private int _unrecognized;
        private long _bytesRead;
        private int _splitFiles;
        private int _splitParts;
        private int _empty;

        /// <summary>Gets the inputs that failed: unreadable, not recognized though named, or with too many rejected records.</summary>
        public int FailedInputs { get; private set; }

        public long BytesRead => Interlocked.Read(ref _bytesRead);

        public Action<InputDiagnostic> Diagnostics => diagnostic =>
        {
            lock (_lock)
            {
                // Skipped records (templates, other log types) are normal: the summary counts them by reason. The first ten
                // rejected records of each input are shown; EndOfInput says how many more there were.
                var input = diagnostic.InputName ?? string.Empty;
                var shown = _diagnosticsShown.GetValueOrDefault(input);
                if (options.Quiet || diagnostic.Outcome != RecordOutcome.Rejected || shown >= MaxDiagnosticsShown)
                {
                    return;
                }

                _diagnosticsShown[input] = shown + 1;
                if (HoldDiagnostics)
                {
                    _held.Add(diagnostic);
                    return;
                }

                Progress.ClearLine(stderr);
                stderr.WriteLine($"  {diagnostic}");
            }
        };

        /// <summary>Whether the diagnostics to show wait for <see cref="ReleaseDiagnostics"/> (those of an unchecked split).</summary>
        public bool HoldDiagnostics { get; set; }

        /// <summary>Shows the diagnostics held back, in the order of their byte offsets (the parts report them at once).</summary>
        public void ReleaseDiagnostics()
        {
            lock (_lock)
            {
                HoldDiagnostics = false;
                foreach (var diagnostic in _held.OrderBy(d => d.ByteOffset))
                {
                    Progress.ClearLine(stderr);
                    stderr.WriteLine($"  {diagnostic}");
                }

                _held.Clear();
            }
        }

        /// <summary>At the end of an input: how many of its rejected records were not shown, when there were more than ten.</summary>
        public void EndOfInput(string name, long rejected)
        {
            lock (_lock)
            {
                var more = rejected - _diagnosticsShown.GetValueOrDefault(name);
                if (options.Quiet || HoldDiagnostics || _diagnosticsShown.GetValueOrDefault(name) < MaxDiagnosticsShown || more <= 0)
                {
                    return;
                }

                Progress.ClearLine(stderr);
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {Count(more, "more rejected record")} in {name}"));
            }
        }

        public void AddBytes(long count) => Interlocked.Add(ref _bytesRead, count);

        public void AddSplit(int parts)
        {
            if (parts > 1)
            {
                lock (_lock)
                {
                    _splitFiles++;
                    _splitParts += parts;
                }
            }
        }

        public void AddFormat(InputFormat format)
        {
            lock (_lock)
            {
                _formats[Name(format)] = _formats.GetValueOrDefault(Name(format)) + 1;
            }
        }

        public void Unrecognized(Input input, string why)
        {
            lock (_lock)
            {
                if (input.Explicit)
                {
                    FailedInputs++;
                }

                _unrecognized++;
                Progress.ClearLine(stderr);
                stderr.WriteLine($"portmismatch: {input.Name}: not a Zeek conn.log, Suricata eve.json, PAN-OS log, IPFIX / NetFlow v9 export or capture: {why}{(input.Explicit ? string.Empty : "; skipped")}. Use --format to say what it is, or --fields to name the columns of headerless zeek-cut output.");
            }
        }

        /// <summary>
        /// An input that failed with <paramref name="error"/>: one line that names it once (a Zeek format error's message
        /// starts with the input's name and line already); headerless TSV without --fields says to give --fields.
        /// </summary>
        public void Unreadable(string name, Exception error)
            => Failed(error switch
            {
                ZeekFormatException { Reason: ZeekFormatError.UnrecognizedFormat } zeek => string.Create(
                    CultureInfo.InvariantCulture,
                    $"{zeek.InputName ?? name}:{zeek.LineNumber}: neither Zeek TSV with a '#fields' header nor Zeek JSON. For headerless zeek-cut output, name its columns with --fields (such as --fields ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service)."),
                ZeekFormatException { InputName: not null } zeek => zeek.Message,
                _ => $"{name}: {error.Message}",
            });

        public void Unreadable(string name, string message) => Failed($"{name}: {message}");

        /// <summary>Counts a failed input and writes its line (also with --quiet).</summary>
        private void Failed(string line)
        {
            lock (_lock)
            {
                FailedInputs++;
                Progress.ClearLine(stderr);
                stderr.WriteLine($"portmismatch: {line}");
            }
        }

        public void AddEmpty()
        {
            lock (_lock)
            {
                _empty++;
            }
        }

        /// <summary>
        /// Fails an input (read to its end) whose records were all rejected, or more of them than <paramref name="maxRejected"/>
        /// (rejected / read; an input without records has none): a wrong --format, or a broken log, must not pass for a
        /// clean one. One line, even with --quiet.
        /// </summary>
        public void CheckRejections(InputState state, double? maxRejected)
        {
            if (state.Failed)
            {
                return;
            }

            var counters = state.Counters();
            string why;
            if (counters.Rejected > 0 && counters.Accepted == 0)
            {
                var all = counters.Rejected == 1 ? "its one record was rejected" : string.Create(CultureInfo.InvariantCulture, $"all {counters.Rejected:N0} records were rejected");
                why = $"{all}{Reasons(counters)}; read as {Name(state.Format)}, is that its format? (--format)";
            }
            else if (maxRejected is { } max && counters.Read > 0 && (double)counters.Rejected / counters.Read > max)
            {
                why = string.Create(CultureInfo.InvariantCulture, $"{counters.Rejected:N0} of {counters.Read:N0} records were rejected ({(double)counters.Rejected / counters.Read:P1}){Reasons(counters)}, more than --max-rejected {max:0.####} allows");
            }
            else
            {
                return;
            }

            state.Fail();
            Unreadable(state.Input.Name, why);
        }

        public void WriteSummary(int inputs, DetectionCounters counters, IReadOnlyDictionary<string, int> notRead, AllowList allowList, int rows, bool written, TimeSpan elapsed)
        {
            var inv = CultureInfo.InvariantCulture;
            var read = counters.Input;
            var records = read.Read == 0
                ? "0 records"
                : string.Create(inv, $"read {read.Read:N0} = accepted {read.Accepted:N0} + rejected {read.Rejected:N0} + skipped {read.Skipped:N0}");
            var split = _splitFiles > 0 ? string.Create(inv, $"; {Count(_splitFiles, "file")} read in {_splitParts:N0} parts") : string.Empty;
            stderr.WriteLine(string.Create(inv, $"portmismatch: {Count(inputs, "input")} ({Kinds(inputs)}{split}) in {elapsed.TotalSeconds:F2} s: {records}"));
            foreach (var (reason, count) in read.RejectedByReason.OrderByDescending(r => r.Value))
            {
                stderr.WriteLine(string.Create(inv, $"  rejected {count,10:N0}  {reason}"));
            }

            foreach (var (reason, count) in read.SkippedByReason.OrderByDescending(r => r.Value))
            {
                stderr.WriteLine(string.Create(inv, $"  skipped  {count,10:N0}  {reason}{SkipReasons.Explain(reason)}"));
            }

            foreach (var line in NotReadReason.SummaryLines(notRead))
            {
                stderr.WriteLine(line);
            }

            var selected = counters.RecordsSelected;
            var mismatches = read.Accepted == 0
                ? string.Empty
                : string.Create(inv, $"{selected:N0} of {Count(read.Accepted, "record")} {(read.Accepted == 1 ? "is a mismatch" : "are mismatches")}: ");
            var late = counters.LateRecords > 0 ? string.Create(inv, $"; {Count(counters.LateRecords, "late record")} (after their window closed, in late rows)") : string.Empty;
            stderr.WriteLine($"  {mismatches}{Count(rows, "row")}{(written ? string.Empty : ", not all written")}{late}");
            for (var i = 0; i < allowList.Count; i++)
            {
                stderr.WriteLine($"  allow-list removed {Count(counters.RowsFilteredByEntry[i], "row")}: {allowList[i]}");
            }

            if (options.BaselinePath is { } baseline)
            {
                var suppressed = options.SuppressSeenDays is { } days
                    ? string.Create(CultureInfo.InvariantCulture, $"suppressed as baseline {Count(counters.RowsSuppressedAsBaseline, "row")} (pairs seen on {days}+ earlier days); ")
                    : string.Empty;
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  baseline {baseline}: {suppressed}{Count(counters.FirstSeenEvictions, "entry")} evicted"));
            }
        }

        /// <summary>A count and its noun, singular for one: "1 row", "1,234 rows".</summary>
        internal static string Count(long count, string noun)
            => string.Create(CultureInfo.InvariantCulture, $"{count:N0} {noun}{(count == 1 ? string.Empty : "s")}");

        /// <summary>
        /// What the inputs were: "Zeek" or "Zeek, PAN-OS" when each kind is one input or there is one kind, else with counts
        /// ("2 Zeek, 1 PAN-OS"); empty inputs, inputs of no known format and inputs that could not be opened are kinds too.
        /// </summary>
        private string Kinds(int inputs)
        {
            var kinds = _formats.OrderBy(f => Array.IndexOf(SummaryOrder, f.Key)).Select(f => (f.Key, f.Value)).ToList();
            var known = kinds.Sum(k => k.Value) + _empty + _unrecognized;
            foreach (var (name, count) in new[] { ("empty", _empty), ("not recognised", _unrecognized), ("unreadable", inputs - known) })
            {
                if (count > 0)
                {
                    kinds.Add((name, count));
                }
            }

            var plain = kinds.Count == 1 || kinds.TrueForAll(k => k.Value == 1);
            return string.Join(", ", kinds.Select(k => plain ? k.Key : string.Create(CultureInfo.InvariantCulture, $"{k.Value:N0} {k.Key}")));
        }

        private static string Reasons(InputCounters counters)
            => counters.RejectedByReason.Count == 0
                ? string.Empty
                : " (" + string.Join(", ", counters.RejectedByReason.OrderByDescending(r => r.Value).Take(3).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} {r.Value:N0}"))) + ")";

        private static string Name(InputFormat? format) => format?.Name switch
        {
            null => "an unknown format",
            "zeek" => "Zeek",
            "suricata" => "Suricata",
            "panos" => "PAN-OS",
            "pcap" => "capture",
            _ => "IPFIX / NetFlow",
        };
    }
}
