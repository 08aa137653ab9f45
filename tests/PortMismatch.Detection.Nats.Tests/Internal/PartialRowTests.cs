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
}
