using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary><c>listen</c>'s addresses: host names, an endpoint already in use, the sender of a rejected datagram, and --stats.</summary>
public sealed class ListenEndpointTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-listen-ep-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("--ipfix", "udp://")]
    [InlineData("--syslog-udp", "syslog-udp://")]
    public async Task Localhost_is_resolved_and_bound_on_loopback(string option, string scheme)
    {
        var port = LiveTestSupport.FreeUdpPort();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(["listen", option, $"localhost:{port}", "--window", "5m"], new StringWriter(), stderr, stop.Token);
        await LiveTestSupport.WaitUntilListening(stderr);
        await stop.CancelAsync();

        Assert.Equal(0, await listening);
        Assert.Contains($"listening on {scheme}127.0.0.1:{port}", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ipfix")]
    [InlineData("--syslog-udp")]
    public async Task An_endpoint_in_use_is_named_with_its_option(string option)
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        var stderr = new StringWriter();

        var exit = await CommandLine.RunAsync(["listen", option, $"127.0.0.1:{port}", "--window", "5m"], new StringWriter(), stderr, TestContext.Current.CancellationToken);

        Assert.Equal(2, exit);
        Assert.Equal($"portmismatch: {option} 127.0.0.1:{port}: address already in use\n", stderr.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_rejected_datagram_names_its_sender_and_the_summary_file_has_the_collector()
    {
        var port = LiveTestSupport.FreeUdpPort();
        var stats = Path.Combine(_temp, "run.json");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(["listen", "--syslog-udp", $"127.0.0.1:{port}", "--window", "5m", "--stats", stats], new StringWriter(), stderr, stop.Token);
        await LiveTestSupport.WaitUntilListening(stderr);

        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var from = $"127.0.0.1:{((IPEndPoint)sender.Client.LocalEndPoint!).Port}";
        await sender.SendAsync(Encoding.UTF8.GetBytes("<14>Nov 26 10:00:02 fw1 this is not a PAN-OS log line"), new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => stderr.ToString().Contains("rejected", StringComparison.Ordinal), () => $"no rejected line on standard error:\n{stderr}");
        await stop.CancelAsync();

        Assert.Equal(0, await listening);
        Assert.Contains($"syslog-udp://127.0.0.1:{port}:1 (byte 0, from {from}): rejected (", stderr.ToString(), StringComparison.Ordinal);

        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        var root = json.RootElement;
        Assert.Equal("listen", root.GetProperty("command").GetString());
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        Assert.True(root.GetProperty("interrupted").GetBoolean()); // Ctrl-C is how listen ends
        var input = Assert.Single(root.GetProperty("inputs").EnumerateArray());
        Assert.Equal($"syslog-udp://127.0.0.1:{port}", input.GetProperty("name").GetString());
        Assert.Equal(1, input.GetProperty("datagrams_received").GetInt64());
        Assert.Equal(1, input.GetProperty("rejected").GetInt64());
        Assert.Equal(1, root.GetProperty("total").GetProperty("rejected").GetInt64());
    }

    [Fact]
    public async Task Rejected_lines_past_ten_are_counted_not_lost()
    {
        const int sent = 25;
        var port = LiveTestSupport.FreeUdpPort();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(["listen", "--syslog-udp", $"127.0.0.1:{port}", "--window", "5m"], new StringWriter(), stderr, stop.Token);
        await LiveTestSupport.WaitUntilListening(stderr);

        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        for (var i = 0; i < sent; i++)
        {
            await sender.SendAsync(Encoding.UTF8.GetBytes($"<14>Nov 26 10:00:02 fw1 bad line {i}"), new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        }

        await Poll.UntilAsync(() => stderr.ToString().Split('\n').Count(l => l.Contains("): rejected (", StringComparison.Ordinal)) >= 10, () => $"fewer than ten rejected lines:\n{stderr}");
        await Task.Delay(200, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        Assert.Equal(0, await listening);

        var text = stderr.ToString();
        var lines = text.Split('\n').Count(l => l.Contains("): rejected (", StringComparison.Ordinal));
        var rejected = long.Parse(System.Text.RegularExpressions.Regex.Match(text, @"rejected +([0-9,]+) ").Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(10, lines);
        Assert.Contains($"  ... and {rejected - 10:N0} more rejected records not shown (at most 10 lines a minute)", text, StringComparison.Ordinal);
        Assert.True(rejected > 10, text);
    }
}
