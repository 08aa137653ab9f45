using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// Inputs as users hand them over: headerless zeek-cut output (--fields), empty inputs, a file named twice, many rejected
/// records; and the summary they get.
/// </summary>
public sealed class ScanInputTests : IDisposable
{
    private const string CutFields = "ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service";

    private static readonly string[] Records =
    [
        "1700000000.250000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl",
        "1700000001.500000\tC2\t10.0.0.2\t50001\t192.0.2.1\t4444\ttcp\tssl",
        "1700000002.750000\tC3\t10.0.0.3\t50002\t192.0.2.9\t53\tudp\t-",
        "1700000003.000000\tC4\t10.0.0.4\t50003\t192.0.2.7\t8080\ttcp\tdns",
    ];

    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-inputs-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private string Temp(string name) => Path.Combine(_temp, name);

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => CliProcess.RunInProcess(args);

    /// <summary>
    /// What <c>zeek-cut [-d] ts id.orig_h id.orig_p id.resp_h id.resp_p service</c> prints for a conn.log: the data lines only
    /// (no '#' line), the named columns in the order named, tab separated, values as the log has them ('-' for unset);
    /// with -d, ts as strftime's %Y-%m-%dT%H:%M:%S%z of its whole seconds (here in UTC, as with TZ=UTC).
    /// </summary>
    private static string ZeekCut(string log, bool convertTime)
    {
        var text = new StringBuilder();
        string[] columns = [];
        string[] wanted = CutFields.Split(',');
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("#fields\t", StringComparison.Ordinal))
            {
                columns = line.Split('\t')[1..];
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var values = line.Split('\t');
            var cut = wanted.Select(name => values[Array.IndexOf(columns, name)]).ToArray();
            if (convertTime)
            {
                var seconds = long.Parse(cut[0].Split('.')[0], CultureInfo.InvariantCulture);
                cut[0] = DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+0000";
            }

            text.Append(string.Join('\t', cut)).Append('\n');
        }

        return text.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Headerless_zeek_cut_output_is_read_with_fields_as_the_log_is_with_its_header(bool convertTime)
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ScanTests.ZeekLog(Records));
        var cut = Temp("cut.tsv");
        File.WriteAllText(cut, ZeekCut(File.ReadAllText(log), convertTime));
        Assert.DoesNotContain('#', File.ReadAllText(cut));

        var (logExit, _, _) = await Run("scan", log, "--out", Temp("log.csv"), "-q");
        var (cutExit, _, err) = await Run("scan", "--fields", CutFields, cut, "--out", Temp("cut.csv"));

        Assert.Equal((0, 0), (logExit, cutExit));
        Assert.Contains("1 input (Zeek)", err, StringComparison.Ordinal);
        Assert.Contains("read 4 = accepted 4 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
        var rows = File.ReadAllLines(Temp("cut.csv"));
        Assert.Equal(3, rows.Length); // the ssl and dns rows; the unset service is no app
        if (convertTime)
        {
            // zeek-cut -d drops the fraction of a second; the rows' keys and counts stay.
            Assert.Equal(File.ReadAllLines(Temp("log.csv")).Select(Key), rows.Select(Key));
        }
        else
        {
            Assert.Equal(File.ReadAllLines(Temp("log.csv")), rows);
        }

        static string Key(string row) => string.Join(',', row.Split(',')[..5]);
    }

    [Fact]
    public async Task With_fields_a_log_with_its_own_header_and_other_formats_are_still_read_as_they_are()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ScanTests.ZeekLog(Records));
        var cut = Temp("cut.tsv");
        File.WriteAllText(cut, ZeekCut(File.ReadAllText(log), convertTime: false));

        var (exit, _, err) = await Run("scan", "--fields", CutFields, log, cut, Repository.PathOf("samples", "data", "panos-traffic.log"), "--out", Temp("rows.csv"));

        Assert.Equal(0, exit);
        Assert.Contains("3 inputs (2 Zeek, 1 PAN-OS)", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headerless_input_without_fields_names_the_option_and_the_path_once()
    {
        var cut = Temp("cut.tsv");
        File.WriteAllText(cut, ZeekCut(ScanTests.ZeekLog(Records), convertTime: false));

        var (exit, _, err) = await Run("scan", "--format", "zeek", cut, "--out", Temp("rows.csv"));

        Assert.Equal(2, exit);
        var line = Assert.Single(err.Split('\n'), l => l.Contains("--fields", StringComparison.Ordinal));
        Assert.StartsWith($"portmismatch: {cut}:1: ", line, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(line, cut));
        Assert.DoesNotContain("ZeekReaderOptions", err, StringComparison.Ordinal);

        // Without --format, detection finds no format, and says --fields too.
        var (autoExit, _, autoErr) = await Run("scan", cut, "--out", Temp("rows2.csv"));
        Assert.Equal(2, autoExit);
        Assert.Contains("--fields", autoErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_gzip_files_are_empty_inputs()
    {
        // What gzip -c < /dev/null writes: a member (header, an empty final deflate block, CRC 0, size 0) of no bytes.
        var nothing = Temp("nothing.log.gz");
        File.WriteAllBytes(nothing, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        await using (var check = new GZipStream(File.OpenRead(nothing), CompressionMode.Decompress))
        {
            Assert.Equal(0, check.Read(new byte[1]));
        }

        var zero = Temp("zero.log.gz");
        File.WriteAllBytes(zero, []);

        var (exit, _, err) = await Run("scan", nothing, zero, "--out", Temp("rows.csv"));

        Assert.Equal(0, exit);
        Assert.Contains("portmismatch: 2 inputs (empty) in ", err, StringComparison.Ordinal);
        Assert.Contains(" s: 0 records", err, StringComparison.Ordinal);
        Assert.Contains("  0 rows", err, StringComparison.Ordinal);
        Assert.DoesNotContain("not a Zeek", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_standard_input_is_zero_records_and_exit_code_0()
    {
        using var process = CliProcess.Start("scan", "-");
        process.StandardInput.Close();
        var exit = await process.WaitForExitAsync(CliProcess.Patience);
        Assert.Equal(0, exit);
        Assert.Contains("1 input (empty)", process.StandardError, StringComparison.Ordinal);
        Assert.Contains(": 0 records", process.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_named_twice_is_read_once_and_said_so()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ScanTests.ZeekLog(Records));
        var link = Temp("link.log");
        File.CreateSymbolicLink(link, log);

        var (exit, _, err) = await Run("scan", log, log, link, "--out", Temp("rows.csv"));

        Assert.Equal(0, exit);
        Assert.Contains($"portmismatch: {log}: named twice; it is read once.", err, StringComparison.Ordinal);
        Assert.Contains($"portmismatch: {link}: the same file as {log}, which is read once.", err, StringComparison.Ordinal);
        Assert.Contains("1 input (Zeek)", err, StringComparison.Ordinal);
        Assert.Contains("read 4 = accepted 4", err, StringComparison.Ordinal);
        Assert.Equal(["1", "2"], File.ReadAllLines(Temp("rows.csv")).Skip(1).Select(row => row.Split(',')[4]).Order());
    }

    [Fact]
    public async Task After_ten_rejected_records_of_an_input_it_says_how_many_more_there_were()
    {
        const int Bad = 1_234;
        var many = Temp("many.log");
        File.WriteAllText(many, ScanTests.ZeekLog([.. Enumerable.Range(0, Bad).Select(i => $"1700000000\tC{i}\t10.0.0.999\t50000\t192.0.2.1\t4444\ttcp\tssl"), Records[0]]));
        var few = Temp("few.log");
        File.WriteAllText(few, ScanTests.ZeekLog("1700000000\tC1\t10.0.0.999\t50000\t192.0.2.1\t4444\ttcp\tssl", Records[0]));

        var (exit, _, err) = await Run("scan", many, few, "--out", Temp("rows.csv"));

        Assert.Equal(0, exit);
        var lines = err.Split('\n');
        Assert.Equal(10, lines.Count(line => line.StartsWith($"  {many}:", StringComparison.Ordinal)));
        Assert.Equal(1, lines.Count(line => line.StartsWith($"  {few}:", StringComparison.Ordinal)));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"  ... and {Bad - 10:N0} more rejected records in {many}"), lines);
        Assert.DoesNotContain(lines, line => line.Contains($"more rejected records in {few}", StringComparison.Ordinal));

        // One number format: invariant, with thousands separators, in every count of the summary.
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"read {Bad + 3:N0} = accepted 2 + rejected {Bad + 1:N0} + skipped 0"), err, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"  rejected {Bad + 1,10:N0}  "), err, StringComparison.Ordinal);
        Assert.Contains("1,235", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, "1 of 1 record is a mismatch: 1 row")]
    [InlineData(2, "2 of 2 records are mismatches: 1 row")]
    public async Task The_summary_reads_naturally_in_the_singular_and_the_plural(int records, string expected)
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ScanTests.ZeekLog([.. Records.Take(records)]));
        var (exit, _, err) = await Run("scan", log, "--out", Temp("rows.csv"));
        Assert.Equal(0, exit);
        Assert.Contains($"portmismatch: 1 input (Zeek) in ", err, StringComparison.Ordinal);
        Assert.Contains($"  {expected}\n", err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_input_of_one_record_that_was_rejected_fails_in_the_singular()
    {
        var log = Temp("one.log");
        File.WriteAllText(log, ScanTests.ZeekLog("1700000000\tC1\t10.0.0.999\t50000\t192.0.2.1\t4444\ttcp\tssl"));
        var (exit, _, err) = await Run("scan", log, "--out", Temp("rows.csv"));
        Assert.Equal(2, exit);
        Assert.Contains($"portmismatch: {log}: its one record was rejected (", err, StringComparison.Ordinal);
        Assert.Contains("read 1 = accepted 0 + rejected 1 + skipped 0", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allow_list_lines_count_rows_in_the_singular_and_the_plural()
    {
        var log = Temp("conn.log");
        File.WriteAllText(log, ScanTests.ZeekLog(Records));
        var allow = Temp("allow.json");
        File.WriteAllText(allow, """{ "allow": [ { "comment": "lab", "app": "ssl", "ports": [4444] }, { "comment": "none", "app": "smtp", "ports": [2525] } ] }""");
        var (exit, _, err) = await Run("scan", log, "--allow", allow, "--out", Temp("rows.csv"));
        Assert.Equal(0, exit);
        Assert.Contains("  allow-list removed 1 row: ", err, StringComparison.Ordinal);
        Assert.Contains("  allow-list removed 0 rows: ", err, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
