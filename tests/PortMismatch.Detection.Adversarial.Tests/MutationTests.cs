using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Suricata;
using PortMismatch.Detection.TestSupport;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>
/// Seeded mutations of valid inputs (bit flips, byte overwrites, truncations, duplicated and spliced chunks, huge
/// lengths, lines without end) through every reader, the evaluator and the aggregator. Nothing but the reader's
/// documented exception type may escape, every record read must have an outcome, and the bytes allocated per input are
/// bounded. The same mutations, and damage at the gzip level, also go through each adapter's stream, pipe and file
/// paths, plain and gzip (<see cref="SurviveEveryPath"/>). The seed of a failing input is in the assertion message;
/// replay it with <see cref="Mutate"/> or <see cref="MutateGzip"/>.
/// </summary>
public sealed class MutationTests
{
    private const int MutationsPerReader = 25_000;
    private const int Seed = 20261126;

    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private static byte[] Sample(string name, int maxLines = int.MaxValue)
    {
        var bytes = File.ReadAllBytes(Repository.Sample(name));
        if (maxLines == int.MaxValue)
        {
            return bytes;
        }

        var end = 0;
        for (var lines = 0; lines < maxLines && end < bytes.Length; end++)
        {
            if (bytes[end] == (byte)'\n')
            {
                lines++;
            }
        }

        return bytes[..end];
    }

    /// <summary>Makes the mutation number <paramref name="index"/> of <paramref name="input"/>; deterministic.</summary>
    public static byte[] Mutate(byte[] input, byte[] other, int index)
    {
        var random = new Random(Seed + index);
        var data = new List<byte>(input);
        var steps = 1 + random.Next(4);
        for (var step = 0; step < steps && data.Count > 0; step++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0: // bit flip
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // overwrite with an interesting byte
                    data[at] = (byte)"\0\t\n\r,\"{}[]\\-.:0\xff\x80"[random.Next(17)];
                    break;
                case 2: // truncate
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 3: // duplicate a chunk
                    var length = Math.Min(data.Count - at, 1 + random.Next(200));
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 4: // splice in a chunk of another input
                    var from = random.Next(other.Length);
                    data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(300))).ToArray());
                    break;
                case 5: // huge big-endian length or count
                    if (at + 1 < data.Count)
                    {
                        data[at] = 0xFF;
                        data[at + 1] = (byte)random.Next(256);
                    }

                    break;
                case 6: // a line that never ends
                    data.RemoveAll(b => b == (byte)'\n');
                    break;
                default: // delete a chunk
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(50)));
                    break;
            }
        }

        return [.. data];
    }

    private static void Survive(string reader, byte[] valid, byte[] other, Func<byte[], InputCounters?> read)
    {
        // The fixed cost of a fresh reader, aggregator and tables, measured on the valid input; a mutation may cost
        // twice that plus a little per byte, never more.
        _ = read(valid);
        var start = GC.GetAllocatedBytesForCurrentThread();
        _ = read(valid);
        var baseline = GC.GetAllocatedBytesForCurrentThread() - start;
        var sink = new CountingSink();
        for (var i = 0; i < MutationsPerReader; i++)
        {
            var input = Mutate(valid, other, i);
            var before = GC.GetAllocatedBytesForCurrentThread();
            InputCounters? counters;
            try
            {
                counters = read(input);
            }
            catch (InputFormatException)
            {
                continue; // the documented outcome for input that cannot be read at all
            }
            catch (Exception e)
            {
                Assert.Fail($"{reader}, mutation {i} (seed {Seed} + {i}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                return;
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(counters is null || counters.IsBalanced, $"{reader}, mutation {i}: {counters}");
            Assert.True(allocated <= (2 * baseline) + 65_536 + (16L * input.Length), $"{reader}, mutation {i}: {allocated} bytes allocated for {input.Length} bytes of input (valid input: {baseline})");
        }

        GC.KeepAlive(sink);
    }

    [Fact]
    public void Zeek_tsv_survives_mutations()
    {
        var valid = Sample("conn.log", 40);
        var other = Sample("panos-traffic.log", 5);
        Survive("Zeek TSV", valid, other, input =>
        {
            var state = new ZeekReaderState(ZeekReaderOptions.Default, "fuzz", _ => { });
            var aggregator = new MismatchAggregator(Evaluator, new NullRows());
            var reader = new ZeekConnReader(input, state);
            while (reader.TryRead(out var record))
            {
                aggregator.Add(record);
            }

            aggregator.Complete();
            return state.Counters;
        });
    }

    [Fact]
    public void Zeek_json_survives_mutations()
    {
        var valid = Encoding.UTF8.GetBytes("""
            {"ts":1700000000.5,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":50000,"id.resp_h":"192.0.2.1","id.resp_p":4444,"proto":"tcp","service":"ssl,http","orig_bytes":10}
            {"ts":"2023-11-14T22:13:20.123456Z","uid":"C2","id":{"orig_h":"2001:db8::1","orig_p":5353,"resp_h":"ff02::fb","resp_p":5353},"proto":"udp","service":"dns"}
            {"ts":1700000001,"uid":"C3","id.orig_h":"10.0.0.2","id.orig_p":1,"id.resp_h":"10.0.0.3","id.resp_p":53,"proto":"udp","service":"-dns"}

            """);
        var other = Sample("conn.log", 12);
        Survive("Zeek JSON", valid, other, input =>
        {
            var state = new ZeekReaderState(ZeekReaderOptions.Default, "fuzz", _ => { });
            var reader = new ZeekConnReader(input, state);
            while (reader.TryRead(out var record))
            {
                _ = Evaluator.IsMismatch(record);
            }

            return state.Counters;
        });
    }

    [Fact]
    public void Suricata_eve_survives_mutations()
    {
        var valid = Encoding.UTF8.GetBytes("""
            {"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":1,"event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"a\u0062c"}}
            {"timestamp":"2024-11-26T08:06:30.000000+0100","flow_id":2,"event_type":"flow","src_ip":"10.0.0.1","src_port":50000,"dest_ip":"10.0.0.2","dest_port":8081,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":3,"pkts_toclient":4,"bytes_toserver":300,"bytes_toclient":700,"start":"2024-11-26T08:06:23.123456+0100"}}
            {"timestamp":"2024-11-26T08:06:30Z","flow_id":3,"event_type":"flow","src_ip":"2001:db8::1","src_port":50001,"dest_ip":"2001:db8::2","dest_port":25,"proto":"TCP","app_proto":"tls","app_proto_orig":"smtp","app_proto_ts":"smtp","app_proto_tc":"failed","flow":{}}
            {"timestamp":"2016-05-27T06:56:11.900923+0000","flow_id":9,"event_type":"netflow","src_ip":"10.16.1.11","src_port":46652,"dest_ip":"82.165.177.154","dest_port":80,"proto":"TCP","app_proto":"http","netflow":{"pkts":6,"bytes":425,"start":"2016-05-27T06:56:11.304062+0000"}}
            {"timestamp":"2016-05-27T06:56:11.900923+0000","flow_id":9,"event_type":"netflow","src_ip":"82.165.177.154","src_port":80,"dest_ip":"10.16.1.11","dest_port":46652,"proto":"TCP","app_proto":"http","netflow":{"pkts":4,"bytes":495,"start":"2016-05-27T06:56:11.304062+0000"}}

            """);
        var other = Sample("conn.log", 12);
        Survive("Suricata EVE", valid, other, input =>
        {
            var state = new SuricataReaderState(SuricataReaderOptions.Default, "fuzz", _ => { });
            var reader = new SuricataEveReader(input, state);
            while (reader.TryRead(out var record))
            {
                _ = Evaluator.IsMismatch(record);
            }

            return state.Counters;
        });
    }

    [Fact]
    public void PanOs_survives_mutations()
    {
        var valid = Sample("panos-traffic.log", 12);
        var other = Sample("conn.log", 12);
        Survive("PAN-OS", valid, other, input =>
        {
            var aggregator = new MismatchAggregator(Evaluator, new NullRows());
            var reader = new PanOsTrafficReader(input, new PanOsReaderState(PanOsReaderOptions.Default, "fuzz", _ => { }));
            while (reader.TryRead(out var record))
            {
                aggregator.Add(record);
            }

            aggregator.Complete();
            return reader.State.Counters;
        });
    }

    [Fact]
    public void Ipfix_survives_mutations()
    {
        var valid = Sample("ipfix-export.ipfix");
        var other = valid;
        var exporter = IPAddressValue.Parse("192.0.2.9");
        Survive("IPFIX", valid, other, input =>
        {
            var decoder = new IpfixDecoder(IpfixReaderOptions.Default, "fuzz", _ => { });
            var aggregator = new MismatchAggregator(Evaluator, new NullRows());
            _ = decoder.Decode(input, exporter, aggregator);
            aggregator.Complete();
            return decoder.Counters;
        });
    }

    [Fact]
    public void Rule_and_allow_list_files_fail_only_with_the_documented_exception()
    {
        var rules = Encoding.UTF8.GetBytes(RuleSetJson.ToJson(RuleSet.Escu));
        var allow = Encoding.UTF8.GetBytes("""{ "allow": [ { "comment": "mDNS", "app": "dns", "ports": [5353, "5000-5010"], "source": "10.0.0.0/8", "transport": "udp" } ] }""");
        for (var i = 0; i < MutationsPerReader / 5; i++)
        {
            foreach (var (name, valid, parse) in new (string, byte[], Action<byte[]>)[]
            {
                ("rule file", rules, input => RuleSetJson.Parse(input)),
                ("allow-list file", allow, input => AllowListJson.Parse(input)),
            })
            {
                var input = Mutate(valid, valid, i);
                try
                {
                    parse(input);
                }
                catch (ConfigurationFormatException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"{name}, mutation {i} (seed {Seed} + {i}): {e.GetType().Name}: {e.Message}");
                }
            }
        }
    }

    private const int MutationsPerPathReader = 6_000;

    /// <summary>How a mutation reaches an adapter: the bytes, whether they are gzip, and what the read must end with.</summary>
    public enum Damage
    {
        /// <summary>Mutated plain bytes: any documented outcome.</summary>
        Plain,

        /// <summary>Mutated gzip bytes: any documented outcome.</summary>
        Gzip,

        /// <summary>Valid gzip framing (members split at random) of mutated content: never a gzip error.</summary>
        ValidGzipFraming,

        /// <summary>A valid one-member gzip file cut short: a gzip error at the byte where it ends.</summary>
        GzipCut,
    }

    /// <summary>Makes the gzip-level mutation number <paramref name="index"/> of <paramref name="content"/>; deterministic.</summary>
    public static (byte[] Bytes, Damage Damage) MutateGzip(byte[] content, byte[] other, int index)
    {
        var random = new Random(Seed + index);
        var whole = GzipCases.Member(content);
        switch (random.Next(5))
        {
            case 0: // the generic mutations on the compressed bytes
                return (Mutate(whole, other, index), Damage.Gzip);
            case 1: // cut short: anywhere after the magic bytes
                return (whole[..(2 + random.Next(whole.Length - 2))], Damage.GzipCut);
            case 2: // bytes after the last member
                var after = Mutate(other, content, index);
                return ([.. whole, .. after.AsSpan(0, Math.Min(after.Length, 1 + random.Next(64)))], Damage.Gzip);
            case 3: // one trailer or header byte changed
                var damaged = (byte[])whole.Clone();
                damaged[random.Next(2) == 0 ? damaged.Length - 1 - random.Next(8) : random.Next(10)] ^= (byte)(1 + random.Next(255));
                return (damaged, Damage.Gzip);
            default: // valid framing of mutated content, in up to four members
                var mutated = Mutate(content, other, index);
                var cuts = Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(mutated.Length + 1)).Append(0).Append(mutated.Length).Distinct().Order().ToArray();
                var members = new List<byte[]>();
                for (var k = 0; k + 1 < cuts.Length; k++)
                {
                    members.Add(GzipCases.Member(mutated[cuts[k]..cuts[k + 1]]));
                }

                return (GzipCases.Concat([.. members]), Damage.ValidGzipFraming);
        }
    }

    /// <summary>One read of an adapter, by the path a mutation is sent down, with the counters it left.</summary>
    private sealed record PathReader(Func<Stream, Task> Stream, Func<PipeReader, Task> Pipe, Func<string, IFlowSource> File, Func<InputCounters?> Counters);

    /// <summary>
    /// Sends mutations through the stream (in random pieces), pipe and file-source paths of an adapter, plain and gzip:
    /// only the documented exception may escape (a gzip error at an offset within the input; a cut gzip file exactly at
    /// its end), records before it are counted, and every count adds up.
    /// </summary>
    private static async Task SurviveEveryPath(string reader, byte[] valid, byte[] other, Func<IFlowRecordSink, PathReader> make)
    {
        var directory = Directory.CreateTempSubdirectory("mutations-").FullName;
        try
        {
            for (var i = 0; i < MutationsPerPathReader; i++)
            {
                var (input, damage) = i % 3 == 0 ? (Mutate(valid, other, i), Damage.Plain) : MutateGzip(valid, other, i);
                var sink = new GzipChecks.CountingSink();
                var read = make(sink);
                var path = (i / 3) % 3;
                var where = $"{reader}, {damage} via {(path == 0 ? "stream" : path == 1 ? "pipe" : "file")}, mutation {i} (seed {Seed} + {i})";
                IFlowSource? file = null;
                try
                {
                    switch (path)
                    {
                        case 0:
                            await read.Stream(new ChunkedStream(input, Seed + i, maxPiece: 1 + (i % 5000)));
                            break;
                        case 1:
                            await read.Pipe(await GzipChecks.PipeOfAsync(input, Seed + i));
                            break;
                        default:
                            var name = Path.Combine(directory, "input");
                            await File.WriteAllBytesAsync(name, input);
                            file = read.File(name);
                            await file.ReadAsync(sink, TestContext.Current.CancellationToken);
                            break;
                    }

                    Assert.True(damage != Damage.GzipCut, $"{where}: a cut gzip file of {input.Length} bytes was read as complete");
                }
                catch (InputFormatException e)
                {
                    var gzip = e.ReasonCode == GzipChecks.Reason;
                    Assert.True(!gzip || (e.ByteOffset >= 0 && e.ByteOffset <= input.Length), $"{where}: offset {e.ByteOffset} of {input.Length}: {e.Message}");
                    Assert.True(damage != Damage.ValidGzipFraming || !gzip, $"{where}: valid gzip refused: {e.Message}");
                    Assert.True(damage != Damage.GzipCut || (gzip && e.ByteOffset == input.Length), $"{where}: {e.ReasonCode} at {e.ByteOffset}, expected the end {input.Length}: {e.Message}");
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    Assert.Fail($"{where}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }

                if ((file?.Counters ?? read.Counters()) is { } counters)
                {
                    Assert.True(counters.IsBalanced, $"{where}: {counters}");
                    Assert.True(counters.Accepted == sink.Records, $"{where}: {counters.Accepted} accepted, {sink.Records} delivered");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public Task Zeek_stream_pipe_and_file_paths_plain_and_gzip_survive_mutations()
        => SurviveEveryPath("Zeek", Sample("conn.log", 40), Sample("panos-traffic.log", 5), sink =>
        {
            var state = new ZeekReaderState(ZeekReaderOptions.Default, "fuzz", _ => { });
            return new PathReader(
                s => ZeekConnInput.ReadStreamAsync(s, sink, state).AsTask(),
                p => ZeekConnInput.ReadAsync(p, sink, state).AsTask(),
                path => ZeekConnInput.FileSource(path, ZeekReaderOptions.Default, _ => { }),
                () => state.Counters);
        });

    [Fact]
    public Task PanOs_stream_pipe_and_file_paths_plain_and_gzip_survive_mutations()
        => SurviveEveryPath("PAN-OS", Sample("panos-traffic.log", 12), Sample("conn.log", 12), sink =>
        {
            // The stream and pipe reads return their counters only when they end well (their file source keeps them live).
            InputCounters? counters = null;
            return new PathReader(
                async s => counters = await PanOsTrafficInput.ReadStreamAsync(s, sink, new PanOsReaderState(PanOsReaderOptions.Default, "fuzz", _ => { })),
                async p => counters = await PanOsTrafficInput.ReadAsync(p, sink, new PanOsReaderState(PanOsReaderOptions.Default, "fuzz", _ => { })),
                path => PanOsTrafficInput.FileSource(path, PanOsReaderOptions.Default, _ => { }),
                () => counters);
        });

    [Fact]
    public Task Ipfix_stream_pipe_and_file_paths_plain_and_gzip_survive_mutations()
    {
        var valid = Sample("ipfix-export.ipfix");
        return SurviveEveryPath("IPFIX", valid, valid, sink =>
        {
            var decoder = new IpfixDecoder(IpfixReaderOptions.Default, "fuzz", _ => { });
            return new PathReader(
                s => IpfixInput.ReadStreamAsync(s, sink, decoder).AsTask(),
                p => IpfixInput.ReadAsync(p, sink, decoder).AsTask(),
                path => IpfixInput.FileSource(path, IpfixReaderOptions.Default, _ => { }),
                () => decoder.Counters);
        });
    }

    private sealed class NullRows : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }

    private sealed class CountingSink : IFlowRecordSink
    {
        public long Records { get; private set; }

        public void OnRecord(in FlowRecord record) => Records++;
    }
}
