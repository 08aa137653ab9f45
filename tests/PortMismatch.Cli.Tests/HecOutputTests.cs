using System.Text.Json;
using PortMismatch.Detection.Siem.Tests.Support;

namespace PortMismatch.Cli.Tests;

/// <summary>--hec-url and --hec-token-env through the real entry, against a test HEC server on 127.0.0.1.</summary>
public sealed class HecOutputTests : IDisposable
{
    private const string Token = "cli-hec-token-7f3a";

    private readonly string _variable = $"PORTMISMATCH_CLI_TEST_HEC_{Guid.NewGuid():N}";

    public HecOutputTests() => Environment.SetEnvironmentVariable(_variable, Token);

    public void Dispose() => Environment.SetEnvironmentVariable(_variable, null);

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(args, stdout, stderr, TestContext.Current.CancellationToken));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Scan_sends_the_rows_it_would_print_to_the_collector_and_says_so_in_the_summary()
    {
        await using var server = new HecTestServer(Token);
        var conn = Repository.Sample("conn.log");
        var file = Path.Combine(Path.GetTempPath(), $"{_variable}.jsonl");
        var (jsonExit, _, _) = await Run("scan", conn, "--out", file);
        Assert.Equal(0, jsonExit);
        var json = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        File.Delete(file);
        var expected = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();

        var (exit, _, stderr) = await Run("scan", conn, "--hec-url", server.Url.ToString(), "--hec-token-env", _variable);

        Assert.Equal(0, exit);
        Assert.NotEmpty(expected);
        var events = server.Events.Select(e => e.GetProperty("event")).ToList();
        Assert.Equal(expected.Count, events.Count);
        foreach (var (row, hec) in expected.Zip(events))
        {
            foreach (var field in new[] { "src_ip", "dest_ip", "app", "firstTime", "lastTime", "rule_id", "message" })
            {
                Assert.Equal(row.GetProperty(field).GetString(), hec.GetProperty(field).GetString());
            }

            Assert.Equal(row.GetProperty("dest_port").GetInt32(), hec.GetProperty("dest_port").GetInt32());
            Assert.Equal(row.GetProperty("count").GetInt64(), hec.GetProperty("count").GetInt64());
        }

        Assert.All(server.Requests, r => Assert.Equal($"Splunk {Token}", r.Headers["Authorization"]));
        Assert.Contains($"  splunk hec {server.Url}: {expected.Count} rows: {expected.Count} sent, 0 failed, 0 dropped, 0 pending", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_the_collector_refuses_make_exit_code_2_and_the_token_is_not_printed()
    {
        await using var server = new HecTestServer("the-collector-wants-another-token");
        var (exit, _, stderr) = await Run("scan", Repository.Sample("conn.log"), "--hec-url", server.Url.ToString(), "--hec-token-env", _variable);

        Assert.Equal(2, exit);
        Assert.Contains("rows could not be delivered to Splunk HEC", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--hec-url", "https://splunk.example:8088", "--hec-token-env", "PORTMISMATCH_CLI_TEST_HEC_NOT_SET" }, "--hec-url needs the HEC token in the environment variable PORTMISMATCH_CLI_TEST_HEC_NOT_SET, which is not set")]
    [InlineData(new[] { "--hec-token-env", "X" }, "--hec-token-env does nothing without --hec-url")]
    [InlineData(new[] { "--hec-url", "https://splunk.example:8088/services/collector/event" }, "--hec-url https://splunk.example:8088/services/collector/event: give the collector's base URL")]
    [InlineData(new[] { "--hec-url", "https://splunk.example:8088", "--out", "x.jsonl" }, "--out does nothing with --hec-url")]
    [InlineData(new[] { "--hec-url", "https://splunk.example:8088", "--time-zone", "UTC" }, "--time-zone does nothing with --hec-url")]
    public async Task Hec_usage_errors_name_what_is_wrong(string[] options, string expected)
    {
        var (exit, _, stderr) = await Run(["scan", Repository.Sample("conn.log"), .. options]);
        Assert.Equal(2, exit);
        Assert.StartsWith($"portmismatch: {expected}", stderr, StringComparison.Ordinal);
    }
}
