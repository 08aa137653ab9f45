using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// <c>portmismatch follow</c> end to end on real files: a run that sees conn.log written in pieces and rotated, is stopped,
/// and a second run with the same bookmark that reads what was written meanwhile; the rows of both together are those of a
/// scan of the same files, and no record is counted twice.
/// </summary>
public sealed class FollowTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-follow-").FullName;

    private string Zeek => Path.Combine(_temp, "spool");

    private string Log => Path.Combine(Zeek, "conn.log");

    private string Bookmark => Path.Combine(_temp, "conn.bookmark.json");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task Two_runs_across_a_rotation_and_a_restart_write_the_rows_of_a_scan_and_count_each_record_once()
    {
        Directory.CreateDirectory(Zeek);
        var rotated = Path.Combine(Zeek, "conn.2026-09-21-14-00-00.log");
        var cut = Record(301);
        File.WriteAllText(Log, Header("a") + Records(1, 300) + cut[..17]);

        string[] Follow(string output) => ["follow", Zeek, "--window", "1h", "--output", "jsonl", "--out", output, "--bookmark", Bookmark];

        // First run: the file as it is, then the cut line's rest, a hundred more lines and Zeek's rotation.
        var out1 = Path.Combine(_temp, "run1.jsonl");
        using (var stop = new CancellationTokenSource())
        {
            var run = Task.Run(() => CliProcess.RunInProcess(stop.Token, Follow(out1)), TestContext.Current.CancellationToken);
            await UntilBookmarkAtAsync(Bytes(Header("a") + Records(1, 300)));
            File.AppendAllText(Log, cut[17..] + Records(302, 400) + "#close\t2026-09-21-15-00-00\n");
            File.Move(Log, rotated);
            File.WriteAllText(Log, Header("b") + Records(401, 450));
            await UntilBookmarkAtAsync(Bytes(Header("b") + Records(401, 450)));
            await stop.CancelAsync();
            var (exit, _, err) = await run.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);
            Assert.Equal(0, exit);
            Assert.Contains("portmismatch: stopped: read 450 = accepted 450 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
            Assert.Contains($"{Log}: read from the start of conn.log; files finished after rotation: 1", err, StringComparison.Ordinal);
        }

        // Stopped: Zeek goes on writing. Second run: from the bookmark, only the new lines.
        File.AppendAllText(Log, Records(451, 500));
        var out2 = Path.Combine(_temp, "run2.jsonl");
        using (var stop = new CancellationTokenSource())
        {
            var run = Task.Run(() => CliProcess.RunInProcess(stop.Token, Follow(out2)), TestContext.Current.CancellationToken);
            await UntilBookmarkAtAsync(Bytes(Header("b") + Records(401, 500)));
            await stop.CancelAsync();
            var (exit, _, err) = await run.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);
            Assert.Equal(0, exit);
            Assert.Contains("portmismatch: stopped: read 50 = accepted 50 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
            Assert.Contains($"{Log}: resumed at the bookmark; files finished after rotation: 0", err, StringComparison.Ordinal);
        }

        var scanned = Path.Combine(_temp, "scan.jsonl");
        var scan = await CliProcess.RunInProcess("scan", "--window", "1h", "--output", "jsonl", "--out", scanned, rotated, Log);
        Assert.Equal(0, scan.Exit);

        var followed = File.ReadAllLines(out1).Concat(File.ReadAllLines(out2)).ToList();
        var expected = File.ReadAllLines(scanned);
        Assert.Equal(MismatchCount(500), LiveTestSupport.SumOfCounts(expected));
        Assert.Equal(LiveTestSupport.SumOfCounts(expected), LiveTestSupport.SumOfCounts(followed));
        Assert.Equal(LiveTestSupport.Combine(expected), LiveTestSupport.Combine(followed));
    }

    [Fact]
    public async Task A_process_killed_with_SIGKILL_and_restarted_reads_each_record_once()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGKILL is a Unix signal");
        Directory.CreateDirectory(Zeek);
        var cut = Record(351);
        File.WriteAllText(Log, Header("a") + Records(1, 300));
        // Rows to a file: nobody reads the killed process's standard output, and a full pipe would stop it.
        using (var killed = CliProcess.Start("follow", Zeek, "--window", "1h", "--output", "jsonl", "--out", Path.Combine(_temp, "killed.jsonl"), "--bookmark", Bookmark))
        {
            await UntilBookmarkAtAsync(Bytes(Header("a") + Records(1, 300)));
            File.AppendAllText(Log, Records(301, 350) + cut[..20]);
            await UntilBookmarkAtAsync(Bytes(Header("a") + Records(1, 350)));
            killed.KillNow();
        }

        // While it was dead: the cut line completed, more lines, Zeek's rotation and a new file.
        File.AppendAllText(Log, cut[20..] + Records(352, 400) + "#close\t2026-09-21-15-00-00\n");
        File.Move(Log, Path.Combine(Zeek, "conn.2026-09-21-14-00-00.log"));
        File.WriteAllText(Log, Header("b") + Records(401, 420));
        using var stop = new CancellationTokenSource();
        var rows = Path.Combine(_temp, "restarted.jsonl");
        var run = Task.Run(() => CliProcess.RunInProcess(stop.Token, "follow", Zeek, "--window", "1h", "--output", "jsonl", "--out", rows, "--bookmark", Bookmark), TestContext.Current.CancellationToken);
        await UntilBookmarkAtAsync(Bytes(Header("b") + Records(401, 420)));
        await stop.CancelAsync();
        var (exit, _, stderr) = await run.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("portmismatch: stopped: read 70 = accepted 70 + rejected 0 + skipped 0", stderr, StringComparison.Ordinal);
        Assert.Contains($"{Log}: resumed at the bookmark in the rotated file, then the new conn.log; files finished after rotation: 1", stderr, StringComparison.Ordinal);
        Assert.Equal(MismatchCount(420) - MismatchCount(350), LiveTestSupport.SumOfCounts(File.ReadAllLines(rows)));
    }

    [Fact]
    public async Task A_folder_that_does_not_exist_is_one_line_with_its_path()
    {
        var missing = Path.Combine(_temp, "no-such");

        var (exit, stdout, stderr) = await CliProcess.RunInProcess("follow", missing, "--window", "5m");

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Equal($"portmismatch: {missing}: no such folder.{Environment.NewLine}", stderr);
    }

    [Fact]
    public async Task A_bookmark_that_is_not_one_fails_the_input_in_one_line_with_its_path()
    {
        Directory.CreateDirectory(Zeek);
        File.WriteAllText(Bookmark, "{\"offset\": 12}");

        var (exit, _, stderr) = await CliProcess.RunInProcess("follow", Zeek, "--bookmark", Bookmark);

        Assert.Equal(2, exit);
        Assert.Equal($"portmismatch: {Log}: bookmark {Bookmark}: no \"file\".", stderr.TrimEnd().Split(Environment.NewLine)[^1]);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "follow" }, "portmismatch: follow needs the folder Zeek writes conn.log to: portmismatch follow <dir>.")]
    [InlineData(new[] { "follow", "a", "b" }, "portmismatch: follow reads one folder, not 2 paths: run one follow per folder.")]
    [InlineData(new[] { "follow", "a", "--idle-close", "1m" }, "portmismatch: --idle-close does nothing without --window: it closes a window no record has reached.")]
    [InlineData(new[] { "follow", "a", "--ipfix", "0.0.0.0:4739" }, "portmismatch: --ipfix does nothing in follow; it is an option of listen.")]
    [InlineData(new[] { "scan", "a", "--bookmark", "b.json" }, "portmismatch: --bookmark does nothing in scan; it is an option of follow.")]
    public async Task Usage_errors_name_the_option_and_what_to_do(string[] args, string line)
    {
        var (exit, _, stderr) = await CliProcess.RunInProcess(args);

        Assert.Equal(2, exit);
        Assert.Equal(line, stderr.Split(Environment.NewLine)[0]);
    }

    [Fact]
    public async Task Help_lists_the_options_of_follow_and_examples()
    {
        var (exit, stdout, _) = await CliProcess.RunInProcess("follow", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("Usage: portmismatch follow [options] <dir>", stdout, StringComparison.Ordinal);
        foreach (var option in new[] { "--bookmark <file>", "--window <duration>", "--rules", "--out <file>", "--stats <file>" })
        {
            Assert.Contains(option, stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--ipfix", stdout, StringComparison.Ordinal);
        Assert.Contains("portmismatch follow /opt/zeek/spool/zeek --window 5m --bookmark", stdout, StringComparison.Ordinal);
    }

    private async Task UntilBookmarkAtAsync(long offset)
        => await Poll.UntilAsync(() => BookmarkOffset() == offset, () => $"bookmark offset {BookmarkOffset()}, waiting for {offset}");

    private long? BookmarkOffset()
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Bookmark));
            return document.RootElement.GetProperty("offset").GetInt64();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static long Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    private static string Header(string open)
        => $"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-09-21-14-00-00-{open}\n"
            + "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n";

    // Every fifth record speaks each of: ssl on 4444, http on 443, dns on 5353 (mismatches), ssl on 443, http on 80.
    private static readonly (string Proto, string Service, int Port)[] Kinds = [("tcp", "ssl", 4444), ("tcp", "http", 443), ("udp", "dns", 5353), ("tcp", "ssl", 443), ("tcp", "http", 80)];

    private static long MismatchCount(int records) => Enumerable.Range(1, records).Count(id => id % Kinds.Length < 3);

    private static string Record(int id)
    {
        var (proto, service, port) = Kinds[id % Kinds.Length];
        return string.Create(CultureInfo.InvariantCulture, $"{1_790_000_000 + (id * 60)}.25\tC{id}\t10.0.0.{id % 7}\t{10_000 + id}\t192.0.2.{id % 3}\t{port}\t{proto}\t{service}\n");
    }

    private static string Records(int from, int to)
    {
        var text = new StringBuilder();
        for (var id = from; id <= to; id++)
        {
            text.Append(Record(id));
        }

        return text.ToString();
    }
}
