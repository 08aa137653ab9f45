using System.Buffers;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using PortMismatch.Detection.Nats.Internal;

namespace PortMismatch.Detection.Nats.Tests.Internal;

/// <summary>
/// The merger alone against a real nats-server, fed partial rows and progress messages written by the test as workers
/// write them: a partial row the server stored twice is dropped also by a merger restarted after the first copy's
/// window was final (the checkpoint carries the repeat filter), and the merger's open windows are bounded (the oldest is
/// made final early and what comes for it later comes out as late rows, the sums unchanged).
/// </summary>
[Collection(Measurements.Collection)]
public sealed class MergerTests
{
    private const long Hour = 3_600_000_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_repeat_stored_after_a_restart_whose_first_copy_is_before_the_resume_point_is_dropped()
    {
        await using var bus = await Bus.StartAsync(partitions: 2, duplicateWindow: TimeSpan.FromMilliseconds(500));
        await bus.PartialAsync(1, 0, 5, 0, Row("10.0.0.1", 4444, 2, 0));          // window 0
        await bus.ProgressAsync(1, 5, Hour + 100);
        await bus.PartialAsync(0, 0, 10, 0, Row("10.0.0.2", 4444, 3, 0));
        await bus.ProgressAsync(0, 10, Hour + 50);                              // window 0 is final: both partitions passed it
        await bus.PartialAsync(0, 10, 20, 0, Row("10.0.0.3", 5353, 1, Hour));     // window 1 stays open
        await bus.ProgressAsync(0, 20, Hour + 100);

        var first = await bus.MergeUntilCaughtUpAsync(new NatsWorkerOptions { Partitions = 2, Window = TimeSpan.FromHours(1) });
        Assert.Equal(2, first.RowsPublished); // window 0's two rows

        // the server stores partition 1's row again (nats-server 2.9 did on R3 streams around leader elections; here the
        // duplicate window has passed): its first copy is before the point a restarted merger resumes from (window 1's row)
        await bus.PartialAsync(1, 0, 5, 0, Row("10.0.0.1", 4444, 2, 0), expectStored: true);
        await bus.ProgressAsync(0, 30, 2 * Hour + 1);
        await bus.ProgressAsync(1, 6, long.MinValue, idle: true);

        var second = await bus.MergeUntilCaughtUpAsync(new NatsWorkerOptions { Partitions = 2, Window = TimeSpan.FromHours(1) });
        Assert.Equal(1, second.RepeatsDropped);
        Assert.Equal(1, second.RowsPublished); // window 1's row, and no late copy of window 0's
        var finals = await bus.FinalsAsync();
        string[] expected = ["0|10.0.0.1|4444|2|False", "0|10.0.0.2|4444|3|False", $"{Hour}|10.0.0.3|5353|1|False"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), finals.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Past_its_open_window_bound_the_merger_makes_the_oldest_final_and_later_rows_of_it_come_out_late()
    {
        await using var bus = await Bus.StartAsync(partitions: 2, duplicateWindow: TimeSpan.FromMinutes(1));
        var options = new NatsWorkerOptions { Partitions = 2, Window = TimeSpan.FromHours(1), MaxOpenWindows = 2 };

        // partition 1 never reports (no worker holds it): without a bound every window would wait for it for ever
        for (var w = 0; w < 5; w++)
        {
            await bus.PartialAsync(0, (ulong)(w * 10), (ulong)(w * 10 + 10), 0, Row("10.0.0.9", 4444, w + 1, w * Hour));
            await bus.ProgressAsync(0, (ulong)(w * 10 + 10), (w + 1) * Hour + 1);
        }

        var merger = await bus.MergeUntilCaughtUpAsync(options);
        Assert.Equal(3, merger.WindowsForcedFinal); // windows 0, 1, 2: two stay open
        Assert.Equal(3, merger.RowsPublished);

        // a row for window 0 comes now: a late row that adds to it; then partition 1 reports idle and the rest is final
        await bus.PartialAsync(0, 50, 60, 0, Row("10.0.0.9", 4444, 10, 0));
        await bus.ProgressAsync(0, 60, 5 * Hour + 1);
        await bus.ProgressAsync(1, 1, long.MinValue, idle: true);
        merger = await bus.MergeUntilCaughtUpAsync(options);
        Assert.Equal(0, merger.WindowsForcedFinal);

        var finals = await bus.FinalsAsync();
        string[] expected = ["0|10.0.0.9|4444|1|False", "0|10.0.0.9|4444|10|True", $"{Hour}|10.0.0.9|4444|2|False", $"{2 * Hour}|10.0.0.9|4444|3|False", $"{3 * Hour}|10.0.0.9|4444|4|False", $"{4 * Hour}|10.0.0.9|4444|5|False"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), finals.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_message_of_many_partial_rows_is_merged_whole_its_repeat_dropped_whole_and_the_bound_kept_after_it()
    {
        await using var bus = await Bus.StartAsync(partitions: 2, duplicateWindow: TimeSpan.FromMilliseconds(500));
        var options = new NatsWorkerOptions { Partitions = 2, Window = TimeSpan.FromHours(1), MaxOpenWindows = 2 };

        // one message with a row in each of windows 0 to 4: the bound (2 open windows) is enforced after the message, so
        // none of its rows is late; windows 0, 1 and 2 are made final then
        MismatchRow[] five = [.. Enumerable.Range(0, 5).Select(w => Row("10.0.0.4", 4444, w + 1, w * Hour))];
        await bus.PartialsAsync(0, 0, 10, 0, five);
        // the server stores the same message again (its duplicate window passed): every row of it is a repeat
        await bus.PartialsAsync(0, 0, 10, 0, five, expectStored: true);
        // the segment's second message: a row of window 0, final by now (late), and one of window 4, still open
        await bus.PartialsAsync(0, 0, 10, 1, [Row("10.0.0.4", 4444, 100, 0), Row("10.0.0.4", 4444, 200, 4 * Hour)]);
        await bus.ProgressAsync(0, 10, 5 * Hour + 1);
        await bus.ProgressAsync(1, 1, long.MinValue, idle: true);

        var merger = await bus.MergeUntilCaughtUpAsync(options);
        Assert.Equal(3, merger.WindowsForcedFinal);
        Assert.Equal(5, merger.RepeatsDropped);
        var finals = await bus.FinalsAsync();
        string[] expected =
        [
            "0|10.0.0.4|4444|1|False", "0|10.0.0.4|4444|100|True", $"{Hour}|10.0.0.4|4444|2|False", $"{2 * Hour}|10.0.0.4|4444|3|False",
            $"{3 * Hour}|10.0.0.4|4444|4|False", $"{4 * Hour}|10.0.0.4|4444|205|False",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), finals.Order(StringComparer.Ordinal));
    }

    private static MismatchRow Row(string source, int port, long count, long windowStart) => new(
        IPAddressValue.Parse(source),
        IPAddressValue.Parse("192.0.2.1"),
        port == 5353 ? "dns" : "ssl",
        port,
        count,
        windowStart + 1,
        windowStart + 2,
        null,
        [Transport.Tcp])
    {
        WindowStartMicroseconds = windowStart,
        WindowEndMicroseconds = windowStart + Hour,
    };

    private sealed class Bus : IAsyncDisposable
    {
        private readonly NatsServer _server;
        private readonly NatsConnection _connection;
        private readonly NatsJSContext _js;
        private readonly INatsKVStore _checkpoints;

        private Bus(NatsServer server, NatsConnection connection, NatsJSContext js, INatsKVStore checkpoints)
        {
            _server = server;
            _connection = connection;
            _js = js;
            _checkpoints = checkpoints;
        }

        public static async Task<Bus> StartAsync(int partitions, TimeSpan duplicateWindow)
        {
            var server = await NatsServer.StartOrSkip();
            var connection = new NatsConnection(new NatsOpts { Url = server.Url });
            var js = new NatsJSContext(connection);
            var token = TestContext.Current.CancellationToken;
            await js.CreateStreamAsync(new StreamConfig("FINDINGS", ["findings.>"]) { DuplicateWindow = duplicateWindow }, token);
            var checkpoints = await new NatsKVContext(js).CreateStoreAsync(new NatsKVConfig(NatsDetectionWorker.CheckpointBucket), token);
            _ = partitions;
            return new Bus(server, connection, js, checkpoints);
        }

        public Task PartialAsync(int partition, ulong start, ulong end, int index, MismatchRow row, bool expectStored = false)
            => PartialsAsync(partition, start, end, index, [row], expectStored);

        /// <summary>One message of partial rows, packed as a worker packs them.</summary>
        public async Task PartialsAsync(int partition, ulong start, ulong end, int index, MismatchRow[] rows, bool expectStored = false)
        {
            var messages = PartialRow.Pack([.. rows], partition, rows.Length);
            Assert.Single(messages);
            var id = $"{partition}:{start}:{end}:{index}";
            var payload = messages[0];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var ack = await _js.PublishAsync($"findings.partial.{partition}", payload, NatsRawSerializer<byte[]>.Default, new NatsJSPubOpts { MsgId = id }, cancellationToken: TestContext.Current.CancellationToken);
                if (!expectStored || !ack.Duplicate)
                {
                    return;
                }

                // the server still takes it for a duplicate: its duplicate window has not passed yet
                Assert.True(clock.Elapsed < Deadline, $"{id} was still a duplicate after {clock.Elapsed}");
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        public async Task ProgressAsync(int partition, ulong sequence, long watermark, bool idle = false)
        {
            var output = new ArrayBufferWriter<byte>();
            new Progress(partition, sequence, watermark, idle).Write(output);
            var id = $"{partition}:{sequence}:{(idle ? "idle" : "progress")}";
            await _js.PublishAsync($"findings.progress.{partition}", output.WrittenSpan.ToArray(), NatsRawSerializer<byte[]>.Default, new NatsJSPubOpts { MsgId = id }, cancellationToken: TestContext.Current.CancellationToken);
        }

        /// <summary>Runs a merger (from the checkpoint) until its checkpoint includes the stream's last message, then stops it.</summary>
        public async Task<Merger> MergeUntilCaughtUpAsync(NatsWorkerOptions options)
        {
            var last = (await _js.GetStreamAsync("FINDINGS", cancellationToken: TestContext.Current.CancellationToken)).Info.State.LastSeq;
            var context = new WorkerContext(options with { Connection = _connection, FindingsStream = "FINDINGS" }, "merger-test", _js, _checkpoints, _checkpoints);
            var merger = new Merger(context);
            using var stop = new CancellationTokenSource();
            var run = merger.RunAsync(stop.Token, CancellationToken.None);
            await Poll.UntilAsync(
                () =>
                {
                    if (run.IsFaulted)
                    {
                        run.GetAwaiter().GetResult();
                    }

                    var entry = _checkpoints.TryGetEntryAsync<byte[]>("merger", serializer: NatsRawSerializer<byte[]>.Default).AsTask().GetAwaiter().GetResult();
                    return entry.Success && MergerCheckpoint.Parse(entry.Value.Value).Last >= last;
                },
                () => $"the merger's checkpoint has not reached sequence {last}",
                Deadline);
            await stop.CancelAsync();
            await run.WaitAsync(Deadline, TestContext.Current.CancellationToken);
            merger.Dispose();
            return merger;
        }

        /// <summary>The rows on findings.final as window start|src|port|count|late.</summary>
        public async Task<List<string>> FinalsAsync()
        {
            var rows = new List<string>();
            var reader = new OrderedReader<byte[]>(_js, "FINDINGS", "findings.final", 0, NatsRawSerializer<byte[]>.Default);
            while (true)
            {
                var batch = await reader.FetchAsync(100, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
                foreach (var message in batch)
                {
                    using var json = JsonDocument.Parse(message.Data!);
                    var row = json.RootElement;
                    var late = row.TryGetProperty("late", out var l) && l.GetBoolean();
                    rows.Add($"{DateTimeOffset.Parse(row.GetProperty("window_start").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1000}|{row.GetProperty("src_ip").GetString()}|{row.GetProperty("dest_port").GetInt32()}|{row.GetProperty("count").GetInt64()}|{late}");
                }

                if (batch.Count == 0)
                {
                    break;
                }
            }

            await reader.DeleteAsync();
            return rows;
        }

        public async ValueTask DisposeAsync()
        {
            await _connection.DisposeAsync();
            await _server.DisposeAsync();
        }
    }
}
