using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Cli.Tests;

/// <summary><c>portmismatch worker</c>: its usage errors, and a worker process against a real nats-server whose final rows equal a scan's.</summary>
public sealed class WorkerCommandTests
{
    [Theory]
    [InlineData("worker --window 1h", "worker needs --nats")]
    [InlineData("worker --nats nats://127.0.0.1:4222", "worker needs --window")]
    [InlineData("worker --nats nats://127.0.0.1:4222 --window 1h conn.log", "worker reads the NATS stream, not 'conn.log'")]
    [InlineData("worker --nats http://127.0.0.1:4222 --window 1h", "--nats http://127.0.0.1:4222: use nats://host:port")]
    [InlineData("worker --nats nats://127.0.0.1:4222 --window 1h --partitions 0", "--partitions 0: use a whole number from 1 to 1024")]
    [InlineData("worker --nats nats://127.0.0.1:4222 --window 1h --format zeek", "--format does nothing in worker")]
    [InlineData("scan --nats nats://127.0.0.1:4222 x.log", "--nats does nothing in scan; it is an option of worker")]
    public async Task A_worker_command_line_that_cannot_run_is_a_usage_error(string line, string message)
    {
        var (exit, _, err) = await CliProcess.RunInProcess(line.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_process_writes_the_final_rows_of_a_scan_and_stops_cleanly_on_SIGTERM()
    {
        const int Seed = 2020;
        TestContext.Current.SendDiagnosticMessage($"seed {Seed}");
        await using var server = await NatsServer.StartOrSkip();
        var text = ConnLog.GenerateJson(3_000, Seed);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var folder = Directory.CreateTempSubdirectory("pm-worker-").FullName;
        try
        {
            var log = Path.Combine(folder, "conn.json");
            await File.WriteAllTextAsync(log, text, TestContext.Current.CancellationToken);
            var (scanExit, _, scanErr) = await CliProcess.RunInProcess("scan", "--window", "1h", "--output", "jsonl", "--out", Path.Combine(folder, "scan.jsonl"), "--quiet", log);
            Assert.True(scanExit == 0, scanErr);
            var expected = Sums(await File.ReadAllLinesAsync(Path.Combine(folder, "scan.jsonl"), TestContext.Current.CancellationToken));

            await using (var connection = new NatsConnection(new NatsOpts { Url = server.Url }))
            {
                var js = new NatsJSContext(connection);
                await js.CreateStreamAsync(new StreamConfig("FLOWS", ["flows.>"]), TestContext.Current.CancellationToken);
                for (var i = 0; i < lines.Length; i++)
                {
                    var ack = await js.PublishAsync(string.Create(CultureInfo.InvariantCulture, $"flows.{i % 4}.zeek-json"), Encoding.UTF8.GetBytes(lines[i]), NatsRawSerializer<byte[]>.Default, cancellationToken: TestContext.Current.CancellationToken);
                    ack.EnsureSuccess();
                }
            }

            // the rows on standard output (--output without --out): a file the process holds open cannot be read meanwhile
            using var worker = CliProcess.Start("worker", "--nats", server.Url, "--partitions", "4", "--window", "1h", "--idle-close", "1s", "--output", "jsonl");
            var rows = new List<string>();
            var reading = Task.Run(async () =>
            {
                while (await worker.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
                {
                    lock (rows)
                    {
                        rows.Add(line);
                    }
                }
            }, TestContext.Current.CancellationToken);
            string[] Rows()
            {
                lock (rows)
                {
                    return [.. rows];
                }
            }

            await worker.WaitForErrorAsync("Ctrl-C commits and stops");
            await Poll.UntilAsync(
                () => Total(Sums(Rows())) >= Total(expected),
                () => $"final rows so far: {Total(Sums(Rows()))} of {Total(expected)}; stderr:\n{worker.StandardError}",
                TimeSpan.FromSeconds(60));
            worker.Terminate();
            Assert.Equal(0, await worker.WaitForExitAsync(CliProcess.Patience));
            await reading.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);
            Assert.Contains("stopped: 3,000 messages read", worker.StandardError, StringComparison.Ordinal);
            Assert.Equal(expected, Sums(Rows()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static long Total(SortedDictionary<string, (long Count, long First, long Last)> sums) => sums.Values.Sum(s => s.Count);

    /// <summary>Rows summed by window and key: count, first and last time.</summary>
    private static SortedDictionary<string, (long Count, long First, long Last)> Sums(IEnumerable<string> lines)
    {
        var sums = new SortedDictionary<string, (long Count, long First, long Last)>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            using var document = JsonDocument.Parse(line);
            var row = document.RootElement;
            var key = string.Join('|', row.GetProperty("window_start").GetString(), row.GetProperty("src_ip").GetString(), row.GetProperty("dest_ip").GetString(), row.GetProperty("app").GetString(), row.GetProperty("dest_port").GetInt32());
            var (count, first, last) = (row.GetProperty("count").GetInt64(), row.GetProperty("first_time_us").GetInt64(), row.GetProperty("last_time_us").GetInt64());
            sums[key] = sums.TryGetValue(key, out var s) ? (s.Count + count, Math.Min(s.First, first), Math.Max(s.Last, last)) : (count, first, last);
        }

        return sums;
    }
}
