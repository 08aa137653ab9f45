using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using PortMismatch.Worker;

namespace PortMismatch.Cli.Tests;

/// <summary>The Generic Host sample: configured like appsettings.json would, it collects IPFIX over UDP and writes JSON Lines.</summary>
public sealed class WorkerSampleTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-worker-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task The_worker_collects_ipfix_over_udp_and_writes_the_rows_of_a_scan_as_json_lines()
    {
        var ipfixFile = Path.Combine(LiveTestSupport.RepositoryRoot(), "samples", "data", "ipfix-export.ipfix");
        var scanOut = Path.Combine(_temp, "scan.jsonl");
        Assert.Equal(0, await CommandLine.RunAsync(["scan", ipfixFile, "--window", "1h", "--output", "jsonl", "--out", scanOut, "--quiet"], new StringWriter(), new StringWriter(), TestContext.Current.CancellationToken));

        var port = LiveTestSupport.FreeUdpPort();
        var output = Path.Combine(_temp, "findings.jsonl");
        using var host = WorkerHost.Build(
        [
            $"--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:{port}",
            $"--PortMismatch:Output={output}",
            "--PortMismatch:Window=01:00:00",
            "--PortMismatch:AllowedLateness=00:00:00",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await host.StartAsync(TestContext.Current.CancellationToken);

        using var sender = new UdpClient(AddressFamily.InterNetwork);
        foreach (var message in LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(ipfixFile, TestContext.Current.CancellationToken)))
        {
            await sender.SendAsync(message, new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        }

        await Task.Delay(500, TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
        host.Dispose();

        var expected = LiveTestSupport.Combine(File.ReadAllLines(scanOut));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, LiveTestSupport.Combine(File.ReadAllLines(output)));
    }

    [Fact]
    public void A_bad_setting_stops_the_worker_at_startup_with_its_name()
    {
        using var host = WorkerHost.Build(["--PortMismatch:Rules=escu,typo", "--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:0", $"--PortMismatch:Output={Path.Combine(_temp, "x.jsonl")}", "--Logging:LogLevel:Default=None"]);
        var e = Assert.ThrowsAny<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.Contains("PortMismatchDetectionOptions.Rules 'escu,typo'", e.ToString(), StringComparison.Ordinal);
    }
}
