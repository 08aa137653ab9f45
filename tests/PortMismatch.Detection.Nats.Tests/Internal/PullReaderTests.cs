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
}
