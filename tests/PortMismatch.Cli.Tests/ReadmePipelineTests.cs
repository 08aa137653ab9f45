#pragma warning disable xUnit1051 // the README example is written without a cancellation token, as a reader would use it
using PortMismatch.Detection;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Cli.Tests;

/// <summary>The README's pipeline example is this test's code (run on the bundled sample data), so it cannot drift from the API.</summary>
public sealed class ReadmePipelineTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-readme-").FullName;

    public ReadmePipelineTests()
    {
        var data = Repository.PathOf("samples", "data");
        File.Copy(Path.Combine(data, "conn.log"), Path.Combine(_temp, "conn.log"));
        File.Copy(Path.Combine(data, "panos-traffic.log"), Path.Combine(_temp, "traffic.log"));
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task The_pipeline_example_runs_and_is_the_readme_text()
    {
        var paths = new[] { Path.Combine(_temp, "conn.log"), Path.Combine(_temp, "traffic.log") };
        var findings = Path.Combine(_temp, "findings.jsonl");
        var result = await Example(findings, paths);

        Assert.Empty(result.Failures);
        Assert.True(result.Counters.Input.IsBalanced);
        Assert.True(result.Counters.RowsWritten > 0);
        Assert.Equal(result.Counters.RowsWritten, File.ReadAllLines(findings).Length);

        var source = File.ReadAllText(Repository.PathOf("tests", "PortMismatch.Cli.Tests", "ReadmePipelineTests.cs"));
        var start = source.LastIndexOf("// --- begin README example ---", StringComparison.Ordinal);
        var end = source.IndexOf("        // --- end README example ---", start + 40, StringComparison.Ordinal);
        var example = Normalize(source[(source.IndexOf('\n', start) + 1)..end])
            .Replace("File.Create(findings)", "File.Create(\"findings.jsonl\")", StringComparison.Ordinal)
            .Replace("FileSource(paths[0])", "FileSource(\"conn.log\")", StringComparison.Ordinal)
            .Replace("FileSource(paths[1])", "FileSource(\"traffic.log\")", StringComparison.Ordinal);
        var readme = Normalize(File.ReadAllText(Repository.PathOf("README.md")));
        Assert.Contains(example, readme, StringComparison.Ordinal);
    }

    private static async Task<DetectionResult> Example(string findings, string[] paths)
    {
        // --- begin README example ---
        using var output = new JsonLinesRowWriter(File.Create(findings));
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Rules = RuleSets.Parse("extended") }, output);
        var result = await pipeline.RunAsync([ZeekConnInput.FileSource(paths[0]), PanOsTrafficInput.FileSource(paths[1])]);
        // --- end README example ---
        return result;
    }

    private static string Normalize(string text) => string.Join('\n', text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));
}
