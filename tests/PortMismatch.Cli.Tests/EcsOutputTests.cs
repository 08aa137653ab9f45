using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary><c>--output ecs</c>: Elastic Common Schema alert documents, one per line, on standard output.</summary>
public sealed class EcsOutputTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-ecs-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task Scan_of_the_samples_prints_one_alert_document_per_row()
    {
        // The rows, as JSON Lines, from the same scan in this process.
        var rowsFile = Path.Combine(_temp, "rows.jsonl");
        var (rowsExit, _, _) = await CliProcess.RunInProcess("scan", Repository.PathOf("samples", "data"), "--output", "jsonl", "--out", rowsFile, "--quiet");
        Assert.Equal(0, rowsExit);
        var rows = File.ReadAllLines(rowsFile).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.NotEmpty(rows);

        // The real entry point, as a user runs it, writing to its standard output.
        using var scan = CliProcess.Start("scan", Repository.PathOf("samples", "data"), "--output", "ecs");
        var text = await scan.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, await scan.WaitForExitAsync(CliProcess.Patience));

        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var documents = text.TrimEnd('\n').Split('\n').Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(rows.Count, documents.Count);
        Assert.All(documents, d =>
        {
            Assert.Equal("alert", d.GetProperty("event").GetProperty("kind").GetString());
            Assert.Equal("9.4.0", d.GetProperty("ecs").GetProperty("version").GetString());
            Assert.Equal("escu", d.GetProperty("rule").GetProperty("ruleset").GetString()); // --rules defaults to escu
        });

        // Row for row, in the same order: the key and the count.
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].GetProperty("src_ip").GetString(), documents[i].GetProperty("source").GetProperty("ip").GetString());
            Assert.Equal(rows[i].GetProperty("dest_ip").GetString(), documents[i].GetProperty("destination").GetProperty("ip").GetString());
            Assert.Equal(rows[i].GetProperty("dest_port").GetInt32(), documents[i].GetProperty("destination").GetProperty("port").GetInt32());
            Assert.Equal(rows[i].GetProperty("app").GetString(), documents[i].GetProperty("portmismatch").GetProperty("app").GetString());
            Assert.Equal(rows[i].GetProperty("count").GetInt64(), documents[i].GetProperty("portmismatch").GetProperty("count").GetInt64());
            Assert.Equal(rows[i].GetProperty("rule_id").GetString(), documents[i].GetProperty("rule").GetProperty("id").GetString());
        }
    }

    [Fact]
    public async Task An_unknown_output_names_ecs_among_the_choices()
    {
        var (exit, _, err) = await CliProcess.RunInProcess("scan", Repository.PathOf("samples", "data"), "--output", "elastic");
        Assert.Equal(2, exit); // a usage error
        Assert.Contains("--output elastic: use table, csv, jsonl, ocsf or ecs.", err, StringComparison.Ordinal);
    }
}
