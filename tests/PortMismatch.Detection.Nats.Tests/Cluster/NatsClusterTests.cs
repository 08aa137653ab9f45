using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>The three-node test cluster itself: a replicated stream outlives its leader's node, which catches up when it returns.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NatsClusterTests
{
    [Fact]
    public async Task An_R3_stream_survives_its_leader_node_and_the_node_catches_up_when_restarted()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var cluster = await NatsCluster.StartOrSkip();
        await using var connection = new NatsConnection(new NatsOpts { Url = cluster.Url });
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("HARNESS", ["harness.>"]) { NumReplicas = 3 }, cancel);
        for (var i = 0; i < 500; i++)
        {
            (await js.PublishAsync($"harness.{i % 4}", Encoding.UTF8.GetBytes($"before {i}"), NatsRawSerializer<byte[]>.Default, cancellationToken: cancel)).EnsureSuccess();
        }

        var leader = await cluster.WaitForStreamLeaderAsync("HARNESS");
        await cluster.StopNode(leader);
        Assert.False(cluster.IsRunning(leader));
        var next = await cluster.WaitForStreamLeaderAsync("HARNESS", notIndex: leader);
        Assert.NotEqual(leader, next);

        // Published before the stop, read after it (through whichever node the client is on now), in order.
        var consumer = await js.CreateOrderedConsumerAsync("HARNESS", cancellationToken: cancel);
        var read = 0;
        await foreach (var message in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 500, Expires = TimeSpan.FromSeconds(10) }, NatsRawSerializer<byte[]>.Default, cancel))
        {
            Assert.Equal($"before {read}", Encoding.UTF8.GetString(message.Data!));
            read++;
        }

        Assert.Equal(500, read);
        for (var i = 0; i < 300; i++)
        {
            (await js.PublishAsync("harness.after", Encoding.UTF8.GetBytes($"after {i}"), NatsRawSerializer<byte[]>.Default, cancellationToken: cancel)).EnsureSuccess();
        }

        await cluster.StartNode(leader);
        await Poll.UntilAsync(
            () => cluster.ReplicaMessagesAsync(leader, "HARNESS").GetAwaiter().GetResult(),
            messages => messages == 800,
            $"the restarted {NatsCluster.NameOf(leader)} holds the 300 messages published while it was down");
    }

    [Fact]
    public async Task A_killed_node_rejoins_and_the_cluster_still_has_one_meta_leader()
    {
        await using var cluster = await NatsCluster.StartOrSkip();
        Assert.Equal(3, cluster.Urls.Count);
        await cluster.StopNode(1, kill: true);
        Assert.False(cluster.IsRunning(1));
        await cluster.StartNode(1);
        Assert.True(cluster.IsRunning(1));
    }
}
