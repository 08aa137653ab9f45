using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;
using PortMismatch.Detection.Nats.Tests.Support;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Nats.Tests;

/// <summary>
/// Messages per second through the publisher and the source on this machine (a measurement, printed; the assertion is
/// only that every message arrived), alone in the measurement collection so that other tests do not share the cores.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class ThroughputTests
{
    private const int Seed = 100_000;

    [Fact]
    public async Task Publishes_and_reads_100000_zeek_json_lines()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await NatsServer.StartOrSkip();
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(connection);
        var folder = Directory.CreateTempSubdirectory("pm-nats-rate-").FullName;
        try
        {
            var file = Path.Combine(folder, "conn.json");
            await File.WriteAllTextAsync(file, ConnLog.GenerateJson(100_000, Seed), ct);
            await NatsFlowStreams.EnsureAsync(js, cancellationToken: ct);
            var publisher = new NatsFlowPublisher(js);

            var clock = Stopwatch.StartNew();
            var result = await publisher.PublishFileAsync(file, ct);
            var publishSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var source = new NatsFlowSource(js, NatsFlowSourceOptions.Default with { StopAtEnd = true });
            await source.ReadAsync(new Counting(), ct);
            var readSeconds = clock.Elapsed.TotalSeconds;

            Assert.Equal(100_000, result.Published);
            Assert.Equal(100_000, source.MessagesRead);
            Assert.Equal(100_000, source.Counters.Accepted);
            TestContext.Current.SendDiagnosticMessage(FormattableString.Invariant(
                $"seed {Seed}: published 100,000 Zeek JSON lines in {publishSeconds:F2} s ({100_000 / publishSeconds:N0} messages/s, MaxInFlight {NatsPublishOptions.Default.MaxInFlight}); read back in {readSeconds:F2} s ({100_000 / readSeconds:N0} messages/s)"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Counting : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record)
        {
        }
    }
}
