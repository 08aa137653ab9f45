using System.Text;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>
/// Seeded mutations of valid inputs (bit flips, byte overwrites, truncations, duplicated and spliced chunks, huge
/// lengths, lines without end) through every reader, the evaluator and the aggregator. Nothing but the reader's
/// documented exception type may escape, every record read must have an outcome, and the bytes allocated per input are
/// bounded. The seed of a failing input is in the assertion message; replay it with <see cref="Mutate"/>.
/// </summary>
public sealed class MutationTests
{
    private const int MutationsPerReader = 25_000;
    private const int Seed = 20261126;

    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PortMismatch.Detection.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
    }

    private static byte[] Sample(string name, int maxLines = int.MaxValue)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "samples", "data", name));
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
    public void PanOs_survives_mutations()
    {
        var valid = Sample("panos-traffic.log", 12);
        var other = Sample("conn.log", 12);
        Survive("PAN-OS", valid, other, input =>
        {
            var aggregator = new MismatchAggregator(Evaluator, new NullRows());
            var reader = new PanOsTrafficReader(input, PanOsReaderOptions.Default, _ => { }, "fuzz");
            while (reader.TryRead(out var record))
            {
                aggregator.Add(record);
            }

            aggregator.Complete();
            return reader.Counters;
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
            var decoder = new IpfixDecoder(IpfixReaderOptions.Default, _ => { }, "fuzz");
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
