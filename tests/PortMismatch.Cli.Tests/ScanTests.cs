using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary>The console host end to end, in process, on the bundled sample data and on inputs the tests write.</summary>
public sealed class ScanTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-cli-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => CliProcess.RunInProcess(args);

    private string Temp(string name) => Path.Combine(_temp, name);

    [Fact]
    public async Task Scanning_the_sample_folder_finds_what_the_sample_generator_planted()
    {
        var output = Temp("rows.csv");
        var (exit, _, err) = await Run("scan", Repository.PathOf("samples", "data"), "--output", "csv", "--out", output);
        Assert.Equal(0, exit);

        var lines = File.ReadAllLines(output);
        Assert.Equal("src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", lines[0]);
        var actual = lines.Skip(1).Select(l => l.Split(',')).Select(f => $"{f[0]}\t{f[1]}\t{f[2]}\t{f[3]}\t{f[4]}").ToList();
        var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "expected-rows.tsv")).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(expected, actual);
        Assert.Contains("3 inputs (Zeek, PAN-OS, IPFIX / NetFlow)", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_are_sorted_and_times_truncated_like_the_search()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ZeekLog(
            "1700000000.999999\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl",
            "1700000001.5\tC2\t10.0.0.1\t50001\t192.0.2.1\t4444\ttcp\tssl",
            "1700000002.5\tC3\t10.0.0.1\t50002\t192.0.2.1\t4444\ttcp\tssl",
            "1700000003.5\tC4\t10.0.0.1\t50003\t192.0.2.1\t443\ttcp\tssl"));
        var output = Temp("rows.csv");
        var (exit, _, _) = await Run("scan", log, "--output", "csv", "--out", output, "--quiet");
        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "src_ip,dest_ip,app,dest_port,count,firstTime,lastTime",
                "10.0.0.1,192.0.2.1,ssl,4444,2,2023-11-14T22:13:21,2023-11-14T22:13:22",
                "10.0.0.2,192.0.2.1,ssl,4444,1,2023-11-14T22:13:20,2023-11-14T22:13:20",
            ],
            File.ReadAllLines(output));
    }

    [Fact]
    public async Task Gzip_is_read_by_its_magic_bytes_whatever_the_name()
    {
        var plain = ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl");
        var path = Temp("conn.data");
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(plain));
        }

        var output = Temp("rows.csv");
        var (exit, _, _) = await Run("scan", path, "--output", "csv", "--out", output, "--quiet");
        Assert.Equal(0, exit);
        Assert.Equal(2, File.ReadAllLines(output).Length);
    }

    [Fact]
    public async Task Findings_give_exit_code_1_only_when_asked()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        Assert.Equal(1, (await Run("scan", log, "--fail-on-findings", "--quiet", "--out", Temp("a"))).Exit);
        Assert.Equal(0, (await Run("scan", log, "--quiet", "--out", Temp("b"))).Exit);

        File.WriteAllText(log, ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t443\ttcp\tssl"));
        Assert.Equal(0, (await Run("scan", log, "--fail-on-findings", "--quiet", "--out", Temp("c"))).Exit);
    }

    [Fact]
    public async Task Malformed_records_are_counted_and_reported_not_fatal()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ZeekLog(
            "1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl",
            "1700000000\tC2\t10.0.0.999\t50000\t192.0.2.1\t4444\ttcp\tssl",
            "1700000000\tC3\t10.0.0.2\t50000\t192.0.2.1\t99999\ttcp\tssl"));
        var output = Temp("rows.csv");
        var (exit, _, err) = await Run("scan", log, "--output", "csv", "--out", output);
        Assert.Equal(0, exit);
        Assert.Equal(2, File.ReadAllLines(output).Length);
        Assert.Contains("read 3 = accepted 1 + rejected 2 + skipped 0", err, StringComparison.Ordinal);
        Assert.Contains($"{log}:10", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_allow_list_removes_rows_and_says_how_many()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ZeekLog(
            "1700000000\tC1\t10.0.0.2\t50000\t224.0.0.251\t5353\tudp\tdns",
            "1700000000\tC2\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        var allow = Temp("allow.json");
        File.WriteAllText(allow, """{ "allow": [ { "comment": "mDNS", "app": "dns", "ports": [5353] } ] }""");
        var output = Temp("rows.csv");
        var (exit, _, err) = await Run("scan", log, "--allow", allow, "--output", "csv", "--out", output);
        Assert.Equal(0, exit);
        Assert.Equal(["src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", "10.0.0.2,192.0.2.1,ssl,4444,1,2023-11-14T22:13:20,2023-11-14T22:13:20"], File.ReadAllLines(output));
        Assert.Contains("allow-list removed 1 row:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Windows_split_rows_at_their_boundaries()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ZeekLog(
            "1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl",
            "1700003600\tC2\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        var output = Temp("rows.csv");
        var (exit, _, _) = await Run("scan", log, "--window", "1h", "--output", "csv", "--out", output, "--quiet");
        Assert.Equal(0, exit);
        var lines = File.ReadAllLines(output);
        Assert.Equal("src_ip,dest_ip,app,dest_port,count,firstTime,lastTime,windowStart,windowEnd", lines[0]);
        Assert.Equal(["2023-11-14T22:00:00", "2023-11-14T23:00:00"], lines.Skip(1).Select(l => l.Split(',')[7]));
    }

    [Theory]
    [InlineData("scan")]
    [InlineData("scan", "--output", "xml", "x")]
    [InlineData("scan", "--window", "soon", "x")]
    [InlineData("scan", "--bogus", "x")]
    [InlineData("frobnicate")]
    public async Task Usage_errors_exit_with_2_and_say_why(params string[] args)
    {
        var (exit, _, err) = await Run(args);
        Assert.Equal(2, exit);
        Assert.StartsWith("portmismatch: ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_and_unreadable_inputs_exit_with_2_but_the_others_are_scanned()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        var garbage = Temp("notes.txt");
        File.WriteAllText(garbage, "these are not flow records\n");
        var output = Temp("rows.csv");
        var (exit, _, err) = await Run("scan", log, Temp("missing.log"), garbage, "--output", "csv", "--out", output);
        Assert.Equal(2, exit);
        Assert.Contains("missing.log: no such file or folder", err, StringComparison.Ordinal);
        Assert.Contains("notes.txt: not a Zeek conn.log", err, StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(output).Length);
    }

    [Fact]
    public async Task A_bad_rule_file_is_a_clear_error()
    {
        var rules = Temp("rules.json");
        const string json = """{ "rules": [ { "id": "x", "name": "x", "apps": ["dns"], "ports": [70000] } ] }""";
        File.WriteAllText(rules, json);
        var (exit, _, err) = await Run("rules", "--rules", rules);
        Assert.Equal(2, exit);
        Assert.Contains($"{rules}: line 1, column {json.IndexOf("70000", StringComparison.Ordinal) + 1}: ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rules_command_prints_the_active_rules()
    {
        var (exit, output, _) = await Run("rules");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("escu-ssl", StringComparison.Ordinal) && l.Contains("443, 8443", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("1d", 86400)]
    [InlineData("00:05:00", 300)]
    public void Durations_parse(string text, int seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), CommandLine.ParseDuration("--window", text));

    [Fact]
    public async Task A_large_zeek_file_read_on_every_core_gives_the_rows_of_a_sequential_read()
    {
        // Over 16 MiB, so scan splits the plain file into parts; the gzip copy of the same log is read in one piece.
        var random = new Random(20261126);
        string[] services = ["ssl", "http", "dns", "smtp", "-"];
        int[] ports = [443, 80, 53, 25, 4444, 8080, 5353];
        var lines = new string[300_000];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = FormattableString.Invariant(
                $"{1_700_000_000 + (i / 10)}.{i % 10}\tC{i}\t10.0.{random.Next(4)}.{random.Next(1, 9)}\t{40000 + (i % 20000)}\t192.0.2.{random.Next(1, 5)}\t{ports[random.Next(ports.Length)]}\ttcp\t{services[random.Next(services.Length)]}");
        }

        var text = ZeekLog(lines);
        var plain = Temp("big.log");
        await File.WriteAllTextAsync(plain, text, TestContext.Current.CancellationToken);
        Assert.True(new FileInfo(plain).Length >= 16L << 20, "the file must be large enough to be split");
        var gz = Temp("big.log.gz");
        await using (var file = File.Create(gz))
        await using (var zip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await zip.WriteAsync(Encoding.UTF8.GetBytes(text), TestContext.Current.CancellationToken);
        }

        var (exitSplit, _, errSplit) = await Run("scan", plain, "--output", "csv", "--out", Temp("split.csv"));
        var (exitWhole, _, errWhole) = await Run("scan", gz, "--output", "csv", "--out", Temp("whole.csv"));
        var split = await File.ReadAllTextAsync(Temp("split.csv"), TestContext.Current.CancellationToken);
        var whole = await File.ReadAllTextAsync(Temp("whole.csv"), TestContext.Current.CancellationToken);
        Assert.Equal(0, exitSplit);
        Assert.Equal(0, exitWhole);
        Assert.True(split.Split('\n').Length > 100, "the log must have findings");
        Assert.Equal(whole, split);
        Assert.Contains("read 300,000 = accepted 300,000 + rejected 0 + skipped 0", errSplit, StringComparison.Ordinal);
        Assert.Contains("read 300,000 = accepted 300,000 + rejected 0 + skipped 0", errWhole, StringComparison.Ordinal);
        if (Environment.ProcessorCount > 1)
        {
            // Four parts per core, each at least 8 MiB.
            var parts = Math.Min(4 * Environment.ProcessorCount, new FileInfo(plain).Length / (8L << 20));
            Assert.Contains($"1 file read in {parts} parts", errSplit, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("parts", errWhole, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_concatenated_zeek_file_with_a_new_header_early_is_read_again_in_one_piece()
    {
        // Two logs joined: the second (from 40 % of the file on, before the last part) lists uid before ts, so a part
        // that started past its header with the file's first header would misread every line. scan splits without
        // checking first, sees that from the parts, drops that run and its diagnostics, and reads the file again.
        var random = new Random(20261127);
        string[] services = ["ssl", "http", "dns", "-"];
        var lines = new string[300_000];
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = FormattableString.Invariant(
                $"{1_700_000_000 + (i / 10)}.{i % 10}\tC{i}\t10.0.{random.Next(4)}.{random.Next(1, 9)}\t{40000 + (i % 20000)}\t192.0.2.{random.Next(1, 5)}\t{random.Next(1, 9000)}\ttcp\t{services[random.Next(services.Length)]}");
        }

        lines[200_000] = "garbage\tline";
        var first = ZeekLog(lines[..120_000]);
        var second = ZeekLog([.. lines[120_000..].Select(line => line.Split('\t') is [var ts, var uid, .. var rest] ? string.Join('\t', [uid, ts, .. rest]) : line)])
            .Replace("#fields\tts\tuid", "#fields\tuid\tts", StringComparison.Ordinal)
            .Replace("#types\ttime\tstring", "#types\tstring\ttime", StringComparison.Ordinal);
        var plain = Temp("joined.log");
        await File.WriteAllTextAsync(plain, first + second, TestContext.Current.CancellationToken);
        Assert.True(new FileInfo(plain).Length >= 16L << 20, "the file must be large enough to be split");
        var gz = Temp("joined.log.gz");
        await using (var file = File.Create(gz))
        await using (var zip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await zip.WriteAsync(Encoding.UTF8.GetBytes(first + second), TestContext.Current.CancellationToken);
        }

        var (exitSplit, _, errSplit) = await Run("scan", plain, "--output", "csv", "--out", Temp("joined.csv"));
        var (exitWhole, _, errWhole) = await Run("scan", gz, "--output", "csv", "--out", Temp("joined-whole.csv"));
        Assert.Equal(0, exitSplit);
        Assert.Equal(0, exitWhole);
        var split = await File.ReadAllTextAsync(Temp("joined.csv"), TestContext.Current.CancellationToken);
        Assert.True(split.Split('\n').Length > 100, "the log must have findings");
        Assert.Equal(await File.ReadAllTextAsync(Temp("joined-whole.csv"), TestContext.Current.CancellationToken), split);
        Assert.Contains("read 300,000 = accepted 299,999 + rejected 1 + skipped 0", errSplit, StringComparison.Ordinal);
        Assert.DoesNotContain("parts", errSplit, StringComparison.Ordinal);
        Assert.Single(errSplit.Split('\n'), line => line.Contains("rejected (wrong-field-count)", StringComparison.Ordinal));
        Assert.DoesNotContain("bad-timestamp", errSplit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("jsonl")]
    public async Task Many_rows_come_out_once_each_in_order_with_one_header(string output)
    {
        // 20,000 rows (one per source address, given in a shuffled order): sorted in two halves on two cores and merged.
        var sources = Enumerable.Range(0, 20_000).Select(i => FormattableString.Invariant($"10.{i / 62_500}.{i / 250 % 250}.{(i % 250) + 1}")).ToArray();
        var shuffled = sources.ToArray();
        new Random(20261127).Shuffle(shuffled);
        var path = Temp("many.log");
        await File.WriteAllTextAsync(
            path,
            ZeekLog([.. shuffled.Select((source, i) => FormattableString.Invariant($"1700000000.{i:D6}\tC{i}\t{source}\t40000\t192.0.2.1\t4444\ttcp\thttp"))]),
            TestContext.Current.CancellationToken);

        var (exit, _, _) = await Run("scan", path, "--output", output, "--quiet", "--out", Temp("many.out"));

        Assert.Equal(0, exit);
        var lines = (await File.ReadAllTextAsync(Temp("many.out"), TestContext.Current.CancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rows = output == "csv" ? lines[1..] : lines;
        if (output == "csv")
        {
            Assert.Equal("src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", lines[0]);
        }

        var expected = sources.OrderBy(source => BitConverter.ToUInt32([.. System.Net.IPAddress.Parse(source).GetAddressBytes().Reverse()])).ToArray();
        var actual = rows.Select(row => output == "csv" ? row.Split(',')[0] : JsonDocument.Parse(row).RootElement.GetProperty("src_ip").GetString()).ToArray();
        Assert.Equal(expected, actual);
    }

    internal static string ZeekLog(params string[] records)
    {
        var text = new StringBuilder();
        text.Append("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2023-11-14-22-13-20\n");
        text.Append("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n");
        text.Append("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n");
        foreach (var record in records)
        {
            text.Append(record).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"#close\t2023-11-14-22-13-21\n");
        return text.ToString();
    }
}
