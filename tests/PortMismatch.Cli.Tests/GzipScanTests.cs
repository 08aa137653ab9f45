using System.Globalization;
using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// Damaged .gz inputs in a scan: the input is unreadable (exit code 2) with the reason and the byte where the gzip data
/// is damaged, instead of an exit code 0 over half the records; valid gzip shapes are read whole.
/// </summary>
public sealed class GzipScanTests : IDisposable
{
    private const string Header = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n";
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-gzip-").FullName;

    public static TheoryData<string> Damaged => [.. GzipCases.DamagedNames];

    // A file of 0 bytes is no gzip and no format at all; the host says so as it did before.
    public static TheoryData<string> Valid => [.. GzipCases.ValidNames.Where(name => name != "empty-file")];

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static byte[] Lines(int first, int count) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(first, count).Select(i =>
        string.Create(CultureInfo.InvariantCulture, $"{1_700_000_000 + i}\tC{i}\t10.0.0.{i % 200}\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl\n"))));

    private async Task<(int Exit, string Err, GzipCase Gzip)> Scan(string name)
    {
        var gzip = GzipCases.Make(name, [.. Encoding.UTF8.GetBytes(Header), .. Lines(0, 200)], 200, Lines(200, 300), 300);
        var path = Path.Combine(_temp, "conn.log.gz");
        await File.WriteAllBytesAsync(path, gzip.Bytes, TestContext.Current.CancellationToken);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(["scan", path, "--output", "csv", "--out", Path.Combine(_temp, "rows.csv")], stdout, stderr, TestContext.Current.CancellationToken);
        return (exit, stderr.ToString(), gzip);
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public async Task A_damaged_gz_input_is_unreadable_with_the_byte_of_the_damage(string name)
    {
        var (exit, err, gzip) = await Scan(name);

        Assert.Equal(2, exit);
        Assert.Contains($"byte {gzip.Offset}", err, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task A_valid_gz_input_of_any_shape_is_read_whole(string name)
    {
        var (exit, err, gzip) = await Scan(name);

        Assert.True(exit == 0, err);
        Assert.Contains($"read {gzip.MaxRecords} = accepted {gzip.MaxRecords}", err, StringComparison.Ordinal);
    }
}
