using System.IO.Compression;
using System.Text;
using System.Text.Json;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Cli.Tests;

public sealed class EvidenceScanTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cli-evidence-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Conn(string name)
    {
        var text = ConnLog.Header()
            + ConnLog.Line("1700000000.000000", "10.0.0.1", "50001", "192.0.2.66", "4444", "tcp", "ssl").Replace("CHhAvVGS1DHFjwGM9", "CEVIDENCE00000001", StringComparison.Ordinal)
            + ConnLog.Line("1700000001.000000", "10.0.0.2", "50002", "192.0.2.67", "8081", "tcp", "http").Replace("CHhAvVGS1DHFjwGM9", "CEVIDENCE00000002", StringComparison.Ordinal)
            + ConnLog.Close;
        return Write(name, text);
    }

    private async Task<(int Exit, string Rows, string Err)> ScanAsync(params string[] args)
    {
        var output = Path.Combine(_directory.FullName, $"rows-{Guid.NewGuid():N}.jsonl");
        var (exit, _, stderr) = await CliProcess.RunInProcess([.. args, "--output", "jsonl", "--out", output]);
        return (exit, File.Exists(output) ? await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken) : string.Empty, stderr);
    }

    private static List<JsonElement> Rows(string jsonl)
        => [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];

    private static JsonElement Row(List<JsonElement> rows, int port) => Assert.Single(rows, r => r.GetProperty("dest_port").GetInt32() == port);

    [Fact]
    public async Task Companion_logs_next_to_conn_log_are_joined_by_default_and_the_summary_names_them()
    {
        var conn = Conn("conn.2026-11-26-13-00-00.log");
        Write("ssl.2026-11-26-13-00-00.log", "#separator \\x09\n#path\tssl\n#fields\tts\tuid\tversion\tserver_name\n1700000000.1\tCEVIDENCE00000001\tTLSv12\tevil.example\n");
        using (var gzip = new GZipStream(File.Create(Path.Combine(_directory.FullName, "http.2026-11-26-13-00-00.log.gz")), CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes("{\"_path\":\"http\",\"uid\":\"CEVIDENCE00000002\",\"host\":\"h.example\",\"user_agent\":\"<b>x</b>\"}\n"));
        }

        Write("ssl.log", "#separator \\x09\n#path\tssl\n#fields\tts\tuid\tserver_name\n1\tCEVIDENCE00000001\tother-rotation.example\n");

        var (exit, stdout, stderr) = await ScanAsync("scan", conn);

        Assert.True(exit == 0, stderr);
        var rows = Rows(stdout);
        var tls = Row(rows, 4444).GetProperty("evidence");
        Assert.Equal("evil.example", tls.GetProperty("fields").GetProperty("tls.server_name")[0].GetProperty("value").GetString());
        Assert.StartsWith("1:", tls.GetProperty("community_id")[0].GetProperty("value").GetString(), StringComparison.Ordinal);
        var http = Row(rows, 8081).GetProperty("evidence").GetProperty("fields");
        Assert.Equal("<b>x</b>", http.GetProperty("http.user_agent")[0].GetProperty("value").GetString());
        Assert.DoesNotContain("other-rotation", stdout, StringComparison.Ordinal);
        Assert.Contains("evidence: ssl.2026-11-26-13-00-00.log (1 of 1 records joined), http.2026-11-26-13-00-00.log.gz (1 of 1 records joined); 2 rows with evidence", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_evidence_writes_the_rows_as_without_companions()
    {
        var conn = Conn("conn.log");
        var (_, alone, _) = await ScanAsync("scan", conn);
        Write("ssl.log", "#separator \\x09\n#path\tssl\n#fields\tts\tuid\tserver_name\n1\tCEVIDENCE00000001\tevil.example\n");

        var (exit, stdout, stderr) = await ScanAsync("scan", conn, "--no-evidence");
        var (_, joined, _) = await ScanAsync("scan", conn);

        Assert.Equal(0, exit);
        Assert.Equal(alone, stdout);
        Assert.DoesNotContain("evidence", stderr, StringComparison.Ordinal);
        Assert.Contains("evil.example", joined, StringComparison.Ordinal);
    }
}
