using System.Diagnostics;
using System.Globalization;
using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Cli.Tests;

public sealed class BaselineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pm-baseline-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Zeek TSV of <paramref name="pairs"/> ssl-on-4444 pairs (one source each) on the day that starts at <paramref name="day"/>.</summary>
    private string Log(string name, int pairs, long day)
    {
        var text = new StringBuilder(ConnLog.Header());
        for (var i = 0; i < pairs; i++)
        {
            var ts = (day + i).ToString(CultureInfo.InvariantCulture) + ".000000";
            text.Append(ConnLog.Line(ts, $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", "50000", "192.0.2.66", "4444", "tcp", "ssl"));
        }

        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Fact]
    public async Task Rows_say_first_seen_and_new_and_the_third_day_is_suppressed_and_counted()
    {
        var store = Path.Combine(_folder, "store.bin");
        var stats = Path.Combine(_folder, "stats.json");
        var outputs = new List<string>();
        for (var day = 0; day < 3; day++)
        {
            var log = Log($"day{day}.log", 3, 1_700_006_400 + (day * 86_400));
            var rows = Path.Combine(_folder, $"rows{day}.jsonl");
            var (exit, _, stderr) = await CliProcess.RunInProcess("scan", "--baseline", store, "--suppress-seen-days", "2", "--out", rows, "--stats", stats, log);
            Assert.True(exit == 0, stderr);
            outputs.Add(File.ReadAllText(rows));
            if (day == 2)
            {
                Assert.Contains("suppressed as baseline 3 rows (pairs seen on 2+ earlier days)", stderr, StringComparison.Ordinal);
                var json = File.ReadAllText(stats);
                Assert.Contains("\"suppressed_as_baseline\": 3", json, StringComparison.Ordinal);
            }
        }

        Assert.Equal(3, outputs[0].Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\"first_seen\":\"2023-11-15T00:00:00\",\"new\":true,\"days_seen\":0", outputs[0], StringComparison.Ordinal);
        Assert.Contains("\"first_seen\":\"2023-11-15T00:00:00\",\"new\":false,\"days_seen\":1", outputs[1], StringComparison.Ordinal);
        Assert.Equal(string.Empty, outputs[2]);

        // Without --baseline the output has none of it.
        var plainRows = Path.Combine(_folder, "plain.jsonl");
        Assert.Equal(0, (await CliProcess.RunInProcess("scan", "--out", plainRows, Path.Combine(_folder, "day0.log"))).Exit);
        var plain = File.ReadAllText(plainRows);
        Assert.Contains("\"src_ip\"", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("first_seen", plain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_in_use_or_damaged_is_refused_with_its_path()
    {
        var store = Path.Combine(_folder, "store.bin");
        var log = Log("day.log", 2, 1_700_006_400);
        using (PortMismatch.Detection.FirstSeenStore.Open(store))
        {
            var (exit, _, stderr) = await CliProcess.RunInProcess("scan", "--baseline", store, log);
            Assert.Equal(CommandLine.Failure, exit);
            Assert.Contains($"'{store}' is in use", stderr, StringComparison.Ordinal);
        }

        File.WriteAllText(store, "PMFSTORE and then nothing that fits");
        var (exit2, _, stderr2) = await CliProcess.RunInProcess("scan", "--baseline", store, log);
        Assert.Equal(CommandLine.Failure, exit2);
        Assert.Contains($"'{store}' cannot be read", stderr2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scan_killed_while_it_writes_the_store_leaves_the_old_or_the_new_store()
    {
        const int seed = 2303;
        const int iterations = 12;
        var random = new Random(seed);
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}");
        var store = Path.Combine(_folder, "store.bin");
        var day1 = Log("day1.log", 40_000, 1_700_006_400);
        var day2 = Log("day2.log", 40_000, 1_700_006_400 + 86_400);
        Assert.Equal(0, (await CliProcess.RunInProcess("scan", "--baseline", store, "--quiet", "--out", Path.Combine(_folder, "rows1.csv"), day1)).Exit);
        var old = File.ReadAllBytes(store);
        Assert.Equal(0, (await CliProcess.RunInProcess("scan", "--baseline", store, "--quiet", "--out", Path.Combine(_folder, "rows2.csv"), day2)).Exit);
        var complete = File.ReadAllBytes(store);
        Assert.NotEqual(old, complete);

        int leftOld = 0, leftNew = 0, killedMidWrite = 0;
        for (var i = 0; i < iterations; i++)
        {
            File.WriteAllBytes(store, old);
            File.Delete(store + ".tmp");
            using var child = CliProcess.Start("scan", "--baseline", store, "--quiet", "--out", Path.Combine(_folder, "rows.csv"), day2);
            if (i % 2 == 0)
            {
                // Any time in the run.
                await Task.Delay(random.Next(2_500), TestContext.Current.CancellationToken);
            }
            else
            {
                // While the new store is being written: once its temporary file appears, a little later. On a loaded
                // machine one poll can sleep through the whole write (temporary file made and renamed away): the run then
                // ends, and this kill finds the new store.
                var waited = Stopwatch.StartNew();
                while (!File.Exists(store + ".tmp") && !child.HasExited)
                {
                    Assert.True(waited.Elapsed < CliProcess.Patience, $"seed {seed}, kill {i}: the store was not written within {CliProcess.Patience}");
                    Thread.Sleep(1);
                }

                Thread.Sleep(random.Next(3));
            }

            child.KillNow();
            killedMidWrite += File.Exists(store + ".tmp") ? 1 : 0;
            var after = File.ReadAllBytes(store);
            if (after.AsSpan().SequenceEqual(old))
            {
                leftOld++;
            }
            else
            {
                Assert.True(after.AsSpan().SequenceEqual(complete), $"seed {seed}, kill {i}: the store is neither the old nor the new one ({after.Length} bytes)");
                leftNew++;
            }

            // And the next run opens it (the lock died with the process).
            using (PortMismatch.Detection.FirstSeenStore.Open(store))
            {
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: {iterations} kills, {killedMidWrite} while the new store was being written; old store left {leftOld}, new {leftNew}");
        Assert.True(killedMidWrite > 0, $"seed {seed}: no kill landed while the store was written");
    }
}
