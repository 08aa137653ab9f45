using System.Buffers;
using NATS.Client.JetStream;
using System.Text;
using NATS.Client.Core;
using PortMismatch.Detection.Nats.Internal;
using PortMismatch.Detection.Nats.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests.Internal;

/// <summary>
/// The worker's reader of a partition (the pull protocol spoken directly) against a real nats-server: every message of
/// its filter in order, in bounded batches, with the lag; a consumer that is lost is made again from the last message
/// read, with nothing repeated or skipped; the flow headers; and what it allocates per message.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class PullReaderTests
{
    private const int Seed = 20_4001;

    [Fact]
    public async Task Reads_every_message_of_its_filter_in_order_in_bounded_batches()
    {
        await using var harness = await WorkerHarness.StartAsync(2_000, Seed);
        await using var reader = new PullReader(harness.JetStream, "FLOWS", "flows.3.>", 0);
        var batch = new FlowBatch();
        var sequences = new List<ulong>();
        var pendings = new List<ulong>();
        for (var round = 0; round < 20 && sequences.Count < 250; round++)
        {
            await reader.FetchAsync(batch, 40, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            Assert.InRange(batch.Count, 0, 40);
            for (var i = 0; i < batch.Count; i++)
            {
                var sequence = batch.StreamSequence(i);
                sequences.Add(sequence);
                Assert.Equal("flows.3.zeek-json", batch.Subject(i));
                Assert.Null(batch.Format(i));
                Assert.Equal(harness.Lines[(int)sequence - 1], Encoding.UTF8.GetString(batch.Payload(i).FirstSpan));
            }

            pendings.Add(reader.Pending);
        }

        // messages i % 8 == 3 are partition 3's: stream sequences 4, 12, 20, ...
        Assert.Equal(Enumerable.Range(0, 250).Select(i => (ulong)(4 + (8 * i))), sequences);
        Assert.Equal(sequences[^1], reader.Last);
        Assert.Equal(0ul, reader.Pending);
        Assert.Equal(250ul - 40, pendings[0]);
        Assert.Equal(1, reader.ConsumersMade);

        await reader.FetchAsync(batch, 40, TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        Assert.Equal(0, batch.Count);
        Assert.Equal(0ul, reader.Pending);
    }

    [Fact]
    public async Task A_consumer_deleted_under_it_is_made_again_from_the_last_message_read_with_nothing_repeated_or_skipped()
    {
        await using var harness = await WorkerHarness.StartAsync(800, Seed + 1);
        await using var reader = new PullReader(harness.JetStream, "FLOWS", "flows.5.>", 0);
        var batch = new FlowBatch();
        var sequences = new List<ulong>();
        for (var round = 0; round < 30 && sequences.Count < 100; round++)
        {
            if (round == 1)
            {
                await foreach (var name in harness.JetStream.ListConsumerNamesAsync("FLOWS", TestContext.Current.CancellationToken))
                {
                    await harness.JetStream.DeleteConsumerAsync("FLOWS", name, TestContext.Current.CancellationToken);
                }
            }

            await reader.FetchAsync(batch, 30, TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
            for (var i = 0; i < batch.Count; i++)
            {
                sequences.Add(batch.StreamSequence(i));
            }
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (ulong)(6 + (8 * i))), sequences);
        Assert.Equal(2, reader.ConsumersMade);
    }

    [Fact]
    public async Task A_connection_lost_mid_read_is_read_on_from_the_last_message_with_nothing_repeated_or_skipped()
    {
        await using var harness = await WorkerHarness.StartAsync(800, Seed + 4);
        await using var reader = new PullReader(harness.JetStream, "FLOWS", "flows.5.>", 0);
        var batch = new FlowBatch();
        var sequences = new List<ulong>();
        for (var round = 0; round < 40 && sequences.Count < 100; round++)
        {
            if (round is 1 or 3)
            {
                // as when the server closes a slow consumer's connection: the client connects again by itself
                await harness.JetStream.Connection.ReconnectAsync();
            }

            await reader.FetchAsync(batch, 20, TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
            for (var i = 0; i < batch.Count; i++)
            {
                sequences.Add(batch.StreamSequence(i));
            }
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (ulong)(6 + (8 * i))), sequences);
    }

    [Fact]
    public async Task The_flow_headers_are_read_from_the_raw_header_block()
    {
        await using var harness = await WorkerHarness.StartAsync(8, Seed + 2);
        var headers = new NatsHeaders { ["Nats-Msg-Id"] = "x:1", ["portmismatch-format"] = " ipfix ", [NatsFlowFormats.ExporterHeader] = "192.0.2.7" };
        var ack = await harness.JetStream.PublishAsync("flows.2.anything", new byte[] { 0, 10, 0, 16 }, NatsRawSerializer<byte[]>.Default, headers: headers, cancellationToken: TestContext.Current.CancellationToken);
        ack.EnsureSuccess();
        await using var reader = new PullReader(harness.JetStream, "FLOWS", "flows.2.>", 0);
        var batch = new FlowBatch();
        await reader.FetchAsync(batch, 10, TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);

        Assert.Equal(2, batch.Count); // the harness's line 3 (sequence 3), then this one
        Assert.Null(batch.Format(0));
        Assert.Null(batch.Exporter(0));
        Assert.Equal("flows.2.anything", batch.Subject(1));
        Assert.Equal("ipfix", batch.Format(1));
        Assert.Equal("192.0.2.7", batch.Exporter(1));
        Assert.Equal(new byte[] { 0, 10, 0, 16 }, batch.Payload(1).ToArray());
    }

    /// <summary>
    /// The reason for the reader: NATS.Net's consumer API allocated 1,875 bytes per message here (measured with this test's loop on OrderedReader) (a message object, a header
    /// dictionary, a metadata record), which at a million messages made the GC the worker's largest cost. The reader may
    /// allocate the two strings the client makes per message (subject, reply subject) and little else.
    /// </summary>
    [Fact]
    public async Task Reading_allocates_little_more_than_the_clients_two_strings_per_message()
    {
        const int Messages = 4_000;
        await using var harness = await WorkerHarness.StartAsync(Messages, Seed + 3, partitions: 1);
        await using var reader = new PullReader(harness.JetStream, "FLOWS", "flows.0.>", 0);
        var batch = new FlowBatch();
        await reader.FetchAsync(batch, 500, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // warm up: consumer, buffers

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var read = batch.Count;
        while (read < Messages)
        {
            await reader.FetchAsync(batch, 500, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            Assert.NotEqual(0, batch.Count);
            read += batch.Count;
        }

        var perMessage = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)(Messages - 500);
        TestContext.Current.SendDiagnosticMessage($"{perMessage:0} bytes allocated per message");

        // "flows.0.zeek-json" (58 bytes as a string) and "$JS.ACK.FLOWS.<consumer name>.1.<seq>.<seq>.<time>.<pending>"
        // (about 190) per message, plus the whole process's other allocations while it waits (timers, the client's pings)
        Assert.InRange(perMessage, 0, 400);
    }
}
