using System.Buffers;
using System.IO.Pipelines;
using PortMismatch.Detection.TestSupport;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Fuzz;

/// <summary>
/// The fuzz targets. Each feeds its bytes through a public reader into <see cref="MismatchEvaluator"/> and
/// <see cref="MismatchAggregator"/> (completed at the end) and lets escape anything but the documented error types
/// (<see cref="InputFormatException"/> subclasses, <see cref="ConfigurationFormatException"/>), so that the fuzzer sees
/// every other exception as a crash. Broken invariants (read = accepted + rejected + skipped, records delivered =
/// accepted) throw <see cref="FuzzInvariantException"/>. Shared with the smoke test in the adversarial test project, so
/// it has no SharpFuzz dependency.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The target names, as given on the command line.</summary>
    public static IReadOnlyList<string> Names => TargetNames.All;

    private static readonly MismatchEvaluator Escu = new(RuleSet.Escu);
    private static readonly List<string> Summaries = [];

    /// <summary>Gets or sets whether <see cref="Run"/> records the counters of each reader pass in <see cref="LastSummary"/>.</summary>
    public static bool Verbose { get; set; }

    /// <summary>Gets the counters of each reader pass of the last <see cref="Run"/> when <see cref="Verbose"/> is set.</summary>
    public static string LastSummary => string.Join(" | ", Summaries);
    private static readonly IPAddressValue Exporter = IPAddressValue.Parse("192.0.2.9");

    // A small reverse-pairing table: the default one (4096 entries) costs more to allocate per execution than decoding
    // a seed does; the pairing code paths are the same at any size.
    private static readonly IpfixReaderOptions Base = IpfixReaderOptions.Default with { ReversePairingCapacity = 64 };

    // Every cap within reach of a small input, so that the paths past each cap run too.
    private static readonly IpfixReaderOptions Tight = Base with { MaxPendingBytes = 4096, MaxTemplatesPerDomain = 4, MaxDomains = 2, MaxApplicationNamesPerDomain = 2, MaxTemplateBytes = 4096, MaxApplicationNameBytes = 256 };

    /// <summary>Runs one input through a target.</summary>
    /// <param name="target">One of <see cref="Names"/>.</param>
    /// <param name="data">The input.</param>
    public static void Run(string target, byte[] data)
    {
        Summaries.Clear();
        switch (target)
        {
            case "zeek-tsv":
            case "zeek-json":
                Zeek(data);
                break;
            case "panos":
                PanOs(data);
                break;
            case "ipfix":
            case "netflow9":
                IpfixDatagram(data);
                break;
            case "pcap":
                IpfixCapture(data);
                break;
            case "rules-json":
                Rules(data);
                break;
            case "allowlist-json":
                AllowListFile(data);
                break;
            case "zeek-stream":
                ZeekStreamAndPipe(data);
                break;
            case "gzip":
                Gzip(data);
                break;
            case "suricata":
                Suricata(data);
                break;
            default:
                throw new ArgumentException($"unknown target '{target}'; one of: {string.Join(", ", Names)}", nameof(target));
        }
    }

    private static void Zeek(byte[] data)
    {
        // The whole input in one span, then the same bytes in two blocks (the streaming path: a line cut by the block end).
        var whole = new Pipeline(Escu);
        var state = new ZeekReaderState(ZeekReaderOptions.Default with { MaxLineLength = 4096 }, "fuzz");
        long delivered = 0;
        try
        {
            var reader = new ZeekConnReader(data, state);
            while (reader.TryRead(out var record))
            {
                delivered++;
                whole.OnRecord(record);
            }
        }
        catch (ZeekFormatException)
        {
            // documented: not Zeek output, or an unusable header
        }

        whole.Complete();
        Check(state.Counters, delivered);

        var blocks = new Pipeline(Escu);
        var blockState = new ZeekReaderState(ZeekReaderOptions.Default with { MaxLineLength = 4096 }, "fuzz");
        delivered = 0;
        try
        {
            var half = data.Length / 2;
            var first = new ZeekConnReader(data.AsSpan(0, half), blockState, isFinalBlock: false);
            while (first.TryRead(out var record))
            {
                delivered++;
                blocks.OnRecord(record);
            }

            var consumed = checked((int)first.BytesConsumed);
            if (consumed > half)
            {
                throw new FuzzInvariantException($"the first block consumed {consumed} of {half} bytes");
            }

            var second = new ZeekConnReader(new ReadOnlySequence<byte>(data, consumed, data.Length - consumed), blockState, isFinalBlock: true);
            while (second.TryRead(out var record))
            {
                delivered++;
                blocks.OnRecord(record);
            }
        }
        catch (ZeekFormatException)
        {
        }

        blocks.Complete();
        Check(blockState.Counters, delivered);
    }

    private static void Suricata(byte[] data)
    {
        // The whole input in one span, then the same bytes in two blocks (a line cut by the block end). Every bad line is
        // counted, nothing is thrown; replies are read too, so that the pairing table is exercised on both outcomes.
        var options = SuricataReaderOptions.Default with { MaxLineLength = 4096, IncludeReplies = data.Length % 2 == 0 };
        var whole = new Pipeline(Escu);
        var state = new SuricataReaderState(options, "fuzz", static _ => { });
        long delivered = 0;
        var reader = new SuricataEveReader(data, state);
        while (reader.TryRead(out var record))
        {
            delivered++;
            whole.OnRecord(record);
        }

        whole.Complete();
        Check(state.Counters, delivered);

        var blocks = new Pipeline(Escu);
        var blockState = new SuricataReaderState(options, "fuzz");
        var half = data.Length / 2;
        var first = new SuricataEveReader(data.AsSpan(0, half), blockState, isFinalBlock: false);
        var fromBlocks = 0L;
        while (first.TryRead(out var record))
        {
            fromBlocks++;
            blocks.OnRecord(record);
        }

        var consumed = checked((int)first.BytesConsumed);
        if (consumed > half)
        {
            throw new FuzzInvariantException($"the first block consumed {consumed} of {half} bytes");
        }

        var second = new SuricataEveReader(new ReadOnlySequence<byte>(data, consumed, data.Length - consumed), blockState, isFinalBlock: true);
        while (second.TryRead(out var record))
        {
            fromBlocks++;
            blocks.OnRecord(record);
        }

        blocks.Complete();
        Check(blockState.Counters, fromBlocks);
        if (fromBlocks != delivered || blockState.Counters.Read != state.Counters.Read)
        {
            throw new FuzzInvariantException($"in two blocks {fromBlocks} records of {blockState.Counters.Read} lines, in one span {delivered} of {state.Counters.Read}");
        }
    }

    private static void PanOs(byte[] data)
    {
        var pipeline = new Pipeline(Escu);
        var reader = new PanOsTrafficReader(data, new PanOsReaderState(PanOsReaderOptions.Default with { MaxLineLength = 8192 }, "fuzz", static _ => { }));
        long delivered = 0;
        long touched = 0;
        while (reader.TryRead(out var record))
        {
            delivered++;
            touched += reader.SubtypeText.Length + reader.SyslogHostName.Length + reader.SyslogTimestamp.Length + (reader.SessionId ?? 0) + (int)reader.Subtype;
            pipeline.OnRecord(record);
        }

        pipeline.Complete();
        Check(reader.State.Counters, delivered);
        GC.KeepAlive(touched);

        // The async input over a stream: line framing across buffer boundaries, gzip detection.
        var streamed = new Pipeline(Escu);
        try
        {
            var counters = PanOsTrafficInput.ReadStreamAsync(new MemoryStream(data, writable: false), streamed, new PanOsReaderState(PanOsReaderOptions.Default, "fuzz")).AsTask().GetAwaiter().GetResult();
            streamed.Complete();
            Check(counters, streamed.Records);
        }
        catch (CompressedInputException)
        {
            // documented: corrupt gzip
        }
    }

    private static void IpfixDatagram(byte[] data)
    {
        // As a datagram, twice (the second time the templates are known and the sequence number repeats), with data sets
        // kept until their template comes.
        var pipeline = new Pipeline(Escu);
        var decoder = new IpfixDecoder(Base with { MaxPendingBytes = 65536, IncludeReplies = true }, "fuzz", static _ => { });
        var accepted = decoder.Decode(data, Exporter, pipeline);
        accepted += decoder.Decode(data, IPAddressValue.None, pipeline);
        accepted += decoder.Decode(data, Exporter, pipeline);
        decoder.Flush();
        pipeline.Complete();
        if (accepted != pipeline.Records)
        {
            throw new FuzzInvariantException($"Decode returned {accepted} accepted records but delivered {pipeline.Records}");
        }

        Check(decoder.Counters, pipeline.Records);
        ReadAsFile(data, Tight); // as a file: RFC 5655 messages or a saved v9 datagram
    }

    private static void IpfixCapture(byte[] data)
    {
        ReadAsFile(data, Base);
        ReadAsFile(data, Tight);
    }

    private static void ReadAsFile(byte[] data, IpfixReaderOptions options)
    {
        var pipeline = new Pipeline(Escu);
        var decoder = new IpfixDecoder(options, "fuzz");
        try
        {
            _ = IpfixInput.ReadStreamAsync(new MemoryStream(data, writable: false), pipeline, decoder).AsTask().GetAwaiter().GetResult();
        }
        catch (InputFormatException e) when (e is IpfixFormatException or CompressedInputException)
        {
            // documented: not a known format, or a damaged capture header
        }

        pipeline.Complete();
        Check(decoder.Counters, pipeline.Records);
    }

    private static void ZeekStreamAndPipe(byte[] data)
    {
        // The async paths: a stream that returns the bytes in pieces (gzip sniffing, line framing across reads), then a pipe.
        var options = ZeekReaderOptions.Default with { MaxLineLength = 4096 };
        var streamed = new Pipeline(Escu);
        var state = new ZeekReaderState(options, "fuzz");
        try
        {
            _ = ZeekConnInput.ReadStreamAsync(Pieces(data), streamed, state).AsTask().GetAwaiter().GetResult();
        }
        catch (InputFormatException e) when (e is ZeekFormatException or CompressedInputException)
        {
            CheckGzipOffset(e, data);
        }

        streamed.Complete();
        Check(state.Counters, streamed.Records);

        var piped = new Pipeline(Escu);
        var pipeState = new ZeekReaderState(options, "fuzz");
        try
        {
            _ = ZeekConnInput.ReadAsync(PipeOf(data), piped, pipeState).AsTask().GetAwaiter().GetResult();
        }
        catch (InputFormatException e) when (e is ZeekFormatException or CompressedInputException)
        {
            CheckGzipOffset(e, data);
        }

        piped.Complete();
        Check(pipeState.Counters, piped.Records);
    }

    private static void Gzip(byte[] data)
    {
        // The same (compressed) bytes through every adapter's stream path, and PAN-OS's pipe path.
        ZeekStreamAndPipe(data);

        var panos = new Pipeline(Escu);
        try
        {
            var counters = PanOsTrafficInput.ReadStreamAsync(Pieces(data), panos, new PanOsReaderState(PanOsReaderOptions.Default with { MaxLineLength = 8192 }, "fuzz")).AsTask().GetAwaiter().GetResult();
            panos.Complete();
            Check(counters, panos.Records);
        }
        catch (CompressedInputException e)
        {
            CheckGzipOffset(e, data);
        }

        var piped = new Pipeline(Escu);
        try
        {
            var counters = PanOsTrafficInput.ReadAsync(PipeOf(data), piped, new PanOsReaderState(PanOsReaderOptions.Default with { MaxLineLength = 8192 }, "fuzz")).AsTask().GetAwaiter().GetResult();
            piped.Complete();
            Check(counters, piped.Records);
        }
        catch (CompressedInputException e)
        {
            CheckGzipOffset(e, data);
        }

        var ipfix = new Pipeline(Escu);
        var decoder = new IpfixDecoder(Tight, "fuzz");
        try
        {
            _ = IpfixInput.ReadStreamAsync(Pieces(data), ipfix, decoder).AsTask().GetAwaiter().GetResult();
        }
        catch (InputFormatException e) when (e is IpfixFormatException or CompressedInputException)
        {
            CheckGzipOffset(e, data);
        }

        ipfix.Complete();
        Check(decoder.Counters, ipfix.Records);
    }

    // The bytes in pieces of 1 to 1,000 bytes, chosen from the input's length so that a replay reads them alike.
    private static ChunkedStream Pieces(byte[] data) => new(data, seed: data.Length, maxPiece: 1 + (data.Length % 1000));

    private static PipeReader PipeOf(byte[] data)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        for (var at = 0; at < data.Length; at += 777)
        {
            _ = pipe.Writer.WriteAsync(data.AsMemory(at, Math.Min(777, data.Length - at))).AsTask().GetAwaiter().GetResult();
        }

        pipe.Writer.Complete();
        return pipe.Reader;
    }

    // A gzip error names the place of the damage in the compressed input: within it.
    private static void CheckGzipOffset(InputFormatException e, byte[] data)
    {
        if (e.ReasonCode == "corrupt-compressed-input" && (e.ByteOffset < 0 || e.ByteOffset > data.Length))
        {
            throw new FuzzInvariantException($"a gzip error at byte {e.ByteOffset} of {data.Length}: {e.Message}");
        }
    }

    private static void Rules(byte[] data)
    {
        RuleSet rules;
        try
        {
            rules = RuleSetJson.Parse(data);
        }
        catch (ConfigurationFormatException)
        {
            return;
        }

        // What was accepted must work end to end and survive a round trip through its own JSON.
        var evaluator = new MismatchEvaluator(rules);
        var pipeline = new Pipeline(evaluator);
        FixedRecords.Feed(pipeline);
        pipeline.Complete();
        var again = RuleSetJson.Parse(System.Text.Encoding.UTF8.GetBytes(RuleSetJson.ToJson(rules)));
        if (again.Count != rules.Count)
        {
            throw new FuzzInvariantException($"the round trip kept {again.Count} of {rules.Count} rules");
        }

        try
        {
            _ = RuleSetJson.Read(new MemoryStream(data, writable: false));
        }
        catch (ConfigurationFormatException)
        {
            throw new FuzzInvariantException("Parse accepted what Read rejects");
        }
    }

    private static void AllowListFile(byte[] data)
    {
        AllowList allowList;
        try
        {
            allowList = AllowListJson.Parse(data);
        }
        catch (ConfigurationFormatException)
        {
            return;
        }

        var rows = new RowCollector();
        var filter = new RowFilter(rows, allowList);
        using var aggregator = new MismatchAggregator(Escu, filter);
        FixedRecords.Feed(new AggregatorSink(aggregator));
        aggregator.Complete();
        foreach (var entry in allowList)
        {
            _ = entry.ToString();
        }

        if (rows.Count + SumRemoved(filter, allowList.Count) + filter.RowsRemovedByPredicate != aggregator.RowsEmitted)
        {
            throw new FuzzInvariantException($"{aggregator.RowsEmitted} rows emitted, {rows.Count} kept, the rest not accounted for");
        }
    }

    private static long SumRemoved(RowFilter filter, int entries)
    {
        long removed = 0;
        for (var i = 0; i < entries; i++)
        {
            removed += filter.RowsRemovedBy(i);
        }

        return removed;
    }

    private static void Check(InputCounters counters, long delivered)
    {
        if (counters.Read != counters.Accepted + counters.Rejected + counters.Skipped || !counters.IsBalanced)
        {
            throw new FuzzInvariantException($"read != accepted + rejected + skipped: {counters}");
        }

        if (counters.Accepted != delivered)
        {
            throw new FuzzInvariantException($"{counters.Accepted} accepted but {delivered} delivered: {counters}");
        }

        if (Verbose)
        {
            Summaries.Add(counters.ToString());
        }
    }

    private sealed class AggregatorSink(MismatchAggregator aggregator) : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record) => _ = aggregator.Add(record);
    }

    private sealed class RowCollector : IMismatchRowSink
    {
        public long Count { get; private set; }

        public void OnRow(MismatchRow row)
        {
            _ = row.ToString();
            Count++;
        }
    }
}
