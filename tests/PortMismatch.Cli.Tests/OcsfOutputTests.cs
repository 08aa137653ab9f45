using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// <c>scan --output ocsf</c> through the real entry: one OCSF Detection Finding per row of the JSON Lines output, each with
/// the finding uid of its row. (The documents' schema validation is in the Siem package's tests.)
/// </summary>
public sealed class OcsfOutputTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-ocsf-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>The finding uid by the recipe of the Siem README, computed here apart from the writer's code.</summary>
    private static string ExpectedUid(string ruleId, string source, string destination, string app, int port)
    {
        var name = $"portmismatch-finding/1\n{ruleId}\n{source}\n{destination}\n{app}\n{port}\n\n";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    [Fact]
    public async Task Scan_of_the_samples_writes_one_detection_finding_per_row_with_the_rows_uid()
    {
        var data = Repository.PathOf("samples", "data");
        // The extension says JSON Lines; --output wins over it.
        var (exit, _, _) = await CliProcess.RunInProcess("scan", data, "--output", "ocsf", "--out", Path.Combine(_temp, "findings.jsonl"));
        var (jsonlExit, _, _) = await CliProcess.RunInProcess("scan", data, "--output", "jsonl", "--out", Path.Combine(_temp, "rows.jsonl"));
        Assert.Equal(0, exit);
        Assert.Equal(0, jsonlExit);
        var ocsf = File.ReadAllText(Path.Combine(_temp, "findings.jsonl"));
        var jsonl = File.ReadAllText(Path.Combine(_temp, "rows.jsonl"));

        var rows = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!).ToList();
        var findings = ocsf.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!).ToList();
        Assert.NotEmpty(rows);
        Assert.Equal(rows.Count, findings.Count);
        Assert.EndsWith("\n", ocsf, StringComparison.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var finding = findings[i];
            Assert.Equal(2004, (int)finding["class_uid"]!);
            Assert.Equal(200401, (int)finding["type_uid"]!);
            Assert.Equal(
                ExpectedUid((string)row["rule_id"]!, (string)row["src_ip"]!, (string)row["dest_ip"]!, (string)row["app"]!, (int)row["dest_port"]!),
                (string)finding["finding_info"]!["uid"]!);
            Assert.Equal((long)row["count"]!, (long)finding["count"]!);
            Assert.Equal((long)row["last_time_us"]! / 1000, (long)finding["time"]!);
        }
    }

    [Fact]
    public async Task An_unknown_output_names_ocsf_among_the_formats()
    {
        var (exit, _, err) = await CliProcess.RunInProcess("scan", Repository.PathOf("samples", "data"), "--output", "xml");
        Assert.Equal(2, exit); // a usage error
        Assert.Contains("--output xml: use table, csv, jsonl, ocsf or ecs.", err, StringComparison.Ordinal);
    }
}
