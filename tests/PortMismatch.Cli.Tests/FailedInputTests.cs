using System.IO.Compression;
using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// Inputs that fail: part-way (what was read before still counts), or by their records (all rejected; more rejected than
/// --max-rejected allows). A failed input exits with 2 and says why in one line, even with --quiet.
/// </summary>
public sealed class FailedInputTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-failed-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("zeek")]
    [InlineData("panos")]
    [InlineData("ipfix")]
    public async Task What_an_input_read_before_it_failed_is_counted(string format)
    {
        // A complete gzip member, then a second one whose deflate data is broken: the reader gets the first member's records,
        // then an error. The first member's counts must survive the error ("read 0 ... 25 of 0 records are mismatches" if
        // they do not).
        var (plain, records, selected) = format switch
        {
            "zeek" => (Encoding.UTF8.GetBytes(ScanTests.ZeekLog([.. Enumerable.Range(0, 500).Select(i => $"{1_700_000_000 + i}\tC{i}\t10.0.0.{(i % 200) + 1}\t{40000 + i}\t192.0.2.1\t{(i % 2 == 0 ? 4444 : 443)}\ttcp\tssl")])), 500, 250),
            "panos" => (Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(File.ReadAllText(Sample("panos-traffic.log")), 40))), 40 * 135, 40 * 15),
            _ => ([.. Enumerable.Repeat(File.ReadAllBytes(Sample("ipfix-export.ipfix")), 10).SelectMany(bytes => bytes)], 10 * 166, 10 * 15),
        };
        var path = Temp("broken.gz");
        using (var file = File.Create(path))
        {
            file.Write(Gzip(plain));
            var second = Gzip(plain);
            second.AsSpan(10, second.Length - 18).Fill(0xFF); // the header stays, the deflate data is no deflate block
            file.Write(second);
        }

        var (exit, _, err) = await Run("scan", path, "--out", Temp("rows.txt"));

        Assert.Equal(2, exit);
        Assert.Contains($"portmismatch: {path}: ", err, StringComparison.Ordinal);
        var summary = err.Split('\n').Single(line => line.StartsWith("portmismatch: 1 input", StringComparison.Ordinal));
        Assert.EndsWith(FormattableString.Invariant($"read {records:N0} = accepted {records - (format == "ipfix" ? 10 : 0):N0} + rejected 0 + skipped {(format == "ipfix" ? 10 : 0):N0}"), summary, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"  {selected:N0} of {records - (format == "ipfix" ? 10 : 0):N0} records are mismatches"), err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_input_whose_records_are_all_rejected_fails_in_one_line_even_when_quiet()
    {
        // Text that no format recognises, read as PAN-OS because --format says so: every line rejected must not pass for a
        // clean input (exit code 0, and with --quiet not a word). (A Zeek log given --format panos is refused before it is
        // read: FormatDetectionTests.)
        var log = Temp("conn.log");
        File.WriteAllLines(log, Enumerable.Range(0, 11).Select(i => $"line {i}, of a report"));

        var (exit, output, err) = await Run("scan", log, "--format", "panos", "--quiet", "--out", Temp("rows.txt"));

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal(
            [$"portmismatch: {log}: all 11 records were rejected (too-few-fields 11); read as PAN-OS, is that its format? (--format)"],
            err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Max_rejected_is_a_share_of_each_input_and_the_other_inputs_are_still_scanned()
    {
        // 5 of the small file's 10 records are bad: 50 % of it, though only 5 % of the 100 records of both files.
        var good = Temp("good.log");
        File.WriteAllText(good, ScanTests.ZeekLog([.. Enumerable.Range(0, 90).Select(i => $"{1_700_000_000 + i}\tC{i}\t10.0.0.2\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl")]));
        var bad = Temp("bad.log");
        File.WriteAllText(bad, ScanTests.ZeekLog([.. Enumerable.Range(0, 10).Select(i => $"{1_700_000_000 + i}\tB{i}\t10.0.0.{(i < 5 ? "999" : "3")}\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl")]));

        var (strict, _, strictErr) = await Run("scan", good, bad, "--max-rejected", "0.1", "--output", "csv", "--out", Temp("strict.csv"));
        var (lenient, _, _) = await Run("scan", good, bad, "--max-rejected", "50%", "--quiet", "--out", Temp("lenient.csv"));
        var (unset, _, _) = await Run("scan", good, bad, "--quiet", "--out", Temp("unset.csv"));

        Assert.Equal(2, strict);
        Assert.Contains($"portmismatch: {bad}: 5 of 10 records were rejected (50.0 %) (bad-address 5), more than --max-rejected 0.1 allows", strictErr, StringComparison.Ordinal);
        Assert.DoesNotContain($"{good}: ", strictErr, StringComparison.Ordinal);
        Assert.Equal(["10.0.0.2,192.0.2.1,ssl,4444,90", "10.0.0.3,192.0.2.1,ssl,4444,5"], File.ReadAllLines(Temp("strict.csv")).Skip(1).Select(line => string.Join(',', line.Split(',')[..5])));
        Assert.Equal(0, lenient);
        Assert.Equal(0, unset);
    }

    [Fact]
    public async Task Empty_inputs_and_inputs_of_skipped_records_only_do_not_fail()
    {
        // An hour without connections gives an empty file or a header without records; neither is a broken input.
        var logs = Directory.CreateDirectory(Temp("logs")).FullName;
        File.WriteAllText(Path.Combine(logs, "empty.log"), string.Empty);
        File.WriteAllText(Path.Combine(logs, "header-only.log"), ScanTests.ZeekLog());
        File.WriteAllBytes(Path.Combine(logs, "templates.ipfix"), TemplateOnlyIpfix());

        var (exit, _, err) = await Run("scan", logs, Path.Combine(logs, "empty.log"), "--max-rejected", "0", "--out", Temp("rows.txt"));

        Assert.Equal(0, exit);
        Assert.Contains("3 inputs (Zeek, IPFIX / NetFlow, empty)", err, StringComparison.Ordinal);
        Assert.Contains("read 1 = accepted 0 + rejected 0 + skipped 1", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("101%")]
    [InlineData("some")]
    public async Task Max_rejected_takes_a_share_from_0_to_1(string value)
    {
        var (exit, _, err) = await Run("scan", "x.log", "--max-rejected", value);
        Assert.Equal(2, exit);
        Assert.StartsWith($"portmismatch: --max-rejected {value}: use a share of the records from 0 to 1", err, StringComparison.Ordinal);
    }

    private static byte[] TemplateOnlyIpfix()
    {
        // One IPFIX message with one template set: a template for sourceIPv4Address (8) and destinationIPv4Address (12).
        byte[] message =
        [
            0x00, 0x0A, 0x00, 0x20, 0x65, 0x53, 0xF1, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x02, 0x00, 0x10, 0x01, 0x00, 0x00, 0x02, 0x00, 0x08, 0x00, 0x04, 0x00, 0x0C, 0x00, 0x04,
        ];
        return message;
    }

    private static byte[] Gzip(byte[] plain)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(plain);
        }

        return buffer.ToArray();
    }

    private static string Sample(string name) => Repository.Sample(name);

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => CliProcess.RunInProcess(args);

    private string Temp(string name) => Path.Combine(_temp, name);
}
