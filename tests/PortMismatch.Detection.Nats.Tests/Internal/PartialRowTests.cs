using System.Buffers;
using System.Collections.Immutable;
using PortMismatch.Detection.Nats.Internal;

namespace PortMismatch.Detection.Nats.Tests.Internal;

/// <summary>The compact JSON of partial rows, progress and checkpoints: what is written is read back the same.</summary>
public sealed class PartialRowTests
{
    public static TheoryData<string, string?, string?, int, string?> Rows => new()
    {
        { "ssl", "10.1.0.13", "192.0.2.66", 4444, "escu-ssl" },
        { "\\x01weird \"quoted\" app \\xff", null, "2001:db8::1", 0, null },
        { "http", "2001:db8:10::abcd", null, 65535, "escu-http" },
        { "ünïcödé-app", null, null, 8081, null },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void A_partial_row_reads_back_as_it_was_written(string app, string? source, string? destination, int port, string? ruleId)
    {
        var rule = ruleId is null ? null : RuleSet.Escu.Rules[0];
        var row = new MismatchRow(
            source is null ? IPAddressValue.None : IPAddressValue.Parse(source),
            destination is null ? IPAddressValue.None : IPAddressValue.Parse(destination),
            app,
            port,
            123_456_789_012,
            -1_500_000,
            1_700_000_000_123_456,
            rule,
            [Transport.Tcp, Transport.Udp])
        {
            WindowStartMicroseconds = -3_600_000_000,
            WindowEndMicroseconds = 0,
        };
        var output = new ArrayBufferWriter<byte>();
        PartialRow.Write(output, 7, row);

        Assert.True(PartialRow.TryRead(output.WrittenSpan, RuleSet.Escu, out var partition, out var back));
        Assert.Equal(7, partition);
        Assert.Equal(row.SourceAddress, back!.SourceAddress);
        Assert.Equal(row.DestinationAddress, back.DestinationAddress);
        Assert.Equal(app, back.App);
        Assert.Equal(port, back.DestinationPort);
        Assert.Equal(row.Count, back.Count);
        Assert.Equal(row.FirstTimeMicroseconds, back.FirstTimeMicroseconds);
        Assert.Equal(row.LastTimeMicroseconds, back.LastTimeMicroseconds);
        Assert.Same(rule, back.Rule);
        Assert.Equal(row.Transports, back.Transports);
        Assert.Equal(row.WindowStartMicroseconds, back.WindowStartMicroseconds);
        Assert.Equal(row.WindowEndMicroseconds, back.WindowEndMicroseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"p\":1}")]
    [InlineData("{\"p\":1,\"ws\":0,\"we\":10,\"src\":\"nonsense\",\"dst\":null,\"app\":\"ssl\",\"port\":1,\"count\":1,\"first\":0,\"last\":0,\"tr\":[],\"rule\":null}")]
    [InlineData("{\"p\":1,\"ws\":0,\"we\":10,\"src\":null,\"dst\":null,\"app\":\"ssl\",\"port\":1,\"count\":1,\"first\":0,\"last\":0,\"tr\":[],\"rule\":\"no-such-rule\"}")]
    [InlineData("{\"p\":\"one\",\"ws\":0}")]
    public void A_payload_that_is_not_a_partial_row_is_refused(string text)
    {
        Assert.False(PartialRow.TryRead(System.Text.Encoding.UTF8.GetBytes(text), RuleSet.Escu, out _, out _));
    }

    [Fact]
    public void Progress_and_checkpoints_read_back_as_they_were_written()
    {
        var output = new ArrayBufferWriter<byte>();
        var progress = new Progress(3, 18_446_744_073_709_551_615, long.MinValue, Idle: true);
        progress.Write(output);
        Assert.True(Progress.TryRead(output.WrittenSpan, out var back));
        Assert.Equal(progress, back);

        var checkpoint = new PartitionCheckpoint(41, 97, 1_700_000_000_000_000, "window=3600000000us");
        Assert.Equal(checkpoint, PartitionCheckpoint.Parse(checkpoint.ToBytes()));
        var committed = checkpoint with { PendingEnd = null };
        Assert.Equal(committed, PartitionCheckpoint.Parse(committed.ToBytes()));

        var merger = new MergerCheckpoint { FinalEnd = 7, FinalBeforeResume = 3, Resume = 12, Last = 40, Config = "c", Partitions = [new(5, -2, true, true), default] };
        merger.Finalised.Add((7, 33));
        var mergerBack = MergerCheckpoint.Parse(merger.ToBytes());
        Assert.Equal(merger.ToBytes(), mergerBack.ToBytes());
    }

    [Fact]
    public void Segment_rows_are_summed_per_window_and_key_in_an_order_that_depends_only_on_the_rows()
    {
        MismatchRow Row(string app, long count, long first, long last, Transport transport, long window) =>
            new(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("192.0.2.1"), app, 4444, count, first, last, null, ImmutableArray.Create(transport))
            {
                WindowStartMicroseconds = window,
                WindowEndMicroseconds = window + 10,
            };

        MismatchRow[] rows = [Row("b", 2, 5, 6, Transport.Tcp, 0), Row("a", 1, 1, 9, Transport.Udp, 10), Row("b", 3, 2, 4, Transport.Udp, 0), Row("a", 1, 0, 3, Transport.Tcp, 0)];
        var forward = new SegmentRows();
        var backward = new SegmentRows();
        foreach (var row in rows)
        {
            forward.OnRow(row);
        }

        for (var i = rows.Length - 1; i >= 0; i--)
        {
            backward.OnRow(rows[i]);
        }

        var a = forward.TakeSorted();
        var b = backward.TakeSorted();
        Assert.Equal(a.Select(r => (r.App, r.Count, r.FirstTimeMicroseconds, r.LastTimeMicroseconds, r.WindowStartMicroseconds, string.Join('+', r.Transports))),
            b.Select(r => (r.App, r.Count, r.FirstTimeMicroseconds, r.LastTimeMicroseconds, r.WindowStartMicroseconds, string.Join('+', r.Transports))));
        Assert.Equal(3, a.Count);
        Assert.Equal(("b", 5L, 2L, 6L), (a[1].App, a[1].Count, a[1].FirstTimeMicroseconds, a[1].LastTimeMicroseconds));
        Assert.Equal([Transport.Tcp, Transport.Udp], a[1].Transports);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 3)]
    [InlineData(7, 1)]
    [InlineData(256, 1)]
    public void A_segment_s_rows_are_packed_a_few_a_message_and_read_back_in_order(int rowsPerMessage, int messageCount)
    {
        var rows = Enumerable.Range(0, 7).Select(i => Row($"app{i}", 4000 + i, i + 1)).ToList();
        var messages = PartialRow.Pack(rows, 5, rowsPerMessage);

        Assert.Equal(messageCount, messages.Count);
        var back = new List<MismatchRow>();
        foreach (var message in messages)
        {
            var lines = 0;
            foreach (var range in message.AsSpan().Split((byte)'\n'))
            {
                var line = message.AsSpan()[range];
                Assert.True(PartialRow.TryRead(line, RuleSet.Escu, out var partition, out var row), System.Text.Encoding.UTF8.GetString(line));
                Assert.Equal(5, partition);
                back.Add(row!);
                lines++;
            }

            Assert.InRange(lines, 1, rowsPerMessage);
        }

        Assert.Equal(rows.Select(r => (r.App, r.DestinationPort, r.Count)), back.Select(r => (r.App, r.DestinationPort, r.Count)));
        // the same rows give the same messages (and so the same Nats-Msg-Ids mean the same content)
        Assert.Equal(messages, PartialRow.Pack(rows, 5, rowsPerMessage));
    }

    [Fact]
    public void A_message_of_partial_rows_ends_once_it_reaches_64_KiB()
    {
        var app = new string('x', 1000);
        var rows = Enumerable.Range(0, 200).Select(i => Row(app, i + 1, 1)).ToList();
        var messages = PartialRow.Pack(rows, 0, 256);

        Assert.True(messages.Count > 1);
        Assert.All(messages.SkipLast(1), m => Assert.InRange(m.Length, PartialRow.MaxMessageBytes, PartialRow.MaxMessageBytes + 2048));
        Assert.Equal(200, messages.Sum(m => m.Count(b => b == (byte)'\n') + 1));
    }

    [Fact]
    public void An_index_set_holds_what_a_hash_set_holds_and_copies_apart_from_it()
    {
        const int Seed = 20_261_204;
        var random = new Random(Seed);
        for (var round = 0; round < 200; round++)
        {
            var set = new IndexSet();
            var truth = new HashSet<int>();
            var copies = new List<(IndexSet Copy, int[] Then)>();
            for (var i = 0; i < 300; i++)
            {
                // mostly in order, as a segment's messages come; sometimes a jump ahead, a repeat or a negative index
                var index = random.Next(10) switch
                {
                    0 => random.Next(-3, 400),
                    1 => truth.Count == 0 ? 0 : truth.ElementAt(random.Next(truth.Count)),
                    _ => set.Count,
                };
                var added = index >= 0 && !truth.Contains(index);
                Assert.True(added == set.Add(index), $"seed {Seed}, round {round}, index {index}: Add should say {added}");
                if (added)
                {
                    truth.Add(index);
                }

                Assert.True(Enumerable.Range(-3, 403).All(x => truth.Contains(x) == set.Contains(x)), $"seed {Seed}, round {round}, after {index}");
                if (random.Next(20) == 0)
                {
                    copies.Add((set.Copy(), [.. truth.Order()]));
                }
            }

            Assert.Equal(truth.Count, set.Count);
            Assert.Equal(truth.Order(), set.Runs().SelectMany(r => Enumerable.Range(r.First, r.Last - r.First + 1)));
            foreach (var (copy, then) in copies)
            {
                Assert.Equal(then, copy.Runs().SelectMany(r => Enumerable.Range(r.First, r.Last - r.First + 1)));
            }
        }
    }

    [Fact]
    public void Segment_rows_give_up_whole_windows_up_to_an_end_and_keep_the_rest()
    {
        var rows = new SegmentRows();
        for (var w = 0; w < 5; w++)
        {
            for (var k = 0; k < 3; k++)
            {
                var row = Row($"app{k}", 4444, 1);
                rows.OnRow(new MismatchRow(row.SourceAddress, row.DestinationAddress, row.App, row.DestinationPort, 1, 0, 0, null, row.Transports)
                {
                    WindowStartMicroseconds = w * 10,
                    WindowEndMicroseconds = w * 10 + 10,
                });
            }
        }

        Assert.Equal((15, 5), (rows.Count, rows.Windows));
        var taken = rows.TakeWindowsEndingBy(29);
        Assert.Equal([10L, 10, 10, 20, 20, 20], taken.Select(r => r.WindowEndMicroseconds!.Value));
        Assert.Equal(["app0", "app1", "app2", "app0", "app1", "app2"], taken.Select(r => r.App));
        Assert.Equal((9, 3), (rows.Count, rows.Windows));
        Assert.Empty(rows.TakeWindowsEndingBy(20));
        Assert.Equal(9, rows.TakeSorted().Count);
        Assert.Equal((0, 0), (rows.Count, rows.Windows));
    }

    private static MismatchRow Row(string app, int port, long count) =>
        new(IPAddressValue.Parse("10.0.0.1"), IPAddressValue.Parse("192.0.2.1"), app, port, count, 1, 2, null, [Transport.Tcp])
        {
            WindowStartMicroseconds = 0,
            WindowEndMicroseconds = 60_000_000,
        };
}
