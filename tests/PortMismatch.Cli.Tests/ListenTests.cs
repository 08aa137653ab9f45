using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary><c>portmismatch listen</c> end to end on loopback: the rows of a live run equal those of a scan of the same data.</summary>
public sealed class ListenTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-listen-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task Live_ipfix_and_syslog_give_the_rows_of_a_scan_and_cancellation_flushes_the_open_windows()
    {
        var data = Path.Combine(LiveTestSupport.RepositoryRoot(), "samples", "data");
        var ipfixFile = Path.Combine(data, "ipfix-export.ipfix");
        var panosFile = Path.Combine(data, "panos-traffic.log");
        var scanOut = Path.Combine(_temp, "scan.jsonl");
        var (scanExit, _, _) = await Run(CancellationToken.None, "scan", ipfixFile, panosFile, "--window", "1h", "--output", "jsonl", "--out", scanOut, "--quiet");
        Assert.Equal(0, scanExit);

        var ipfixPort = LiveTestSupport.FreeUdpPort();
        var syslogPort = LiveTestSupport.FreeUdpPort();
        var listenOut = Path.Combine(_temp, "listen.jsonl");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(
            ["listen", "--ipfix", $"127.0.0.1:{ipfixPort}", "--syslog-udp", $"127.0.0.1:{syslogPort}", "--window", "1h", "--output", "jsonl", "--out", listenOut],
            new StringWriter(),
            stderr,
            stop.Token);

        // Each IPFIX message is one datagram (its length is in its header); each log line is one syslog datagram.
        var messages = LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(ipfixFile, TestContext.Current.CancellationToken));
        var lines = (await File.ReadAllLinesAsync(panosFile, TestContext.Current.CancellationToken)).Where(l => l.Length > 0).ToList();
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        await LiveTestSupport.WaitUntilListening(stderr);
        foreach (var message in messages)
        {
            await sender.SendAsync(message, new IPEndPoint(IPAddress.Loopback, ipfixPort), TestContext.Current.CancellationToken);
        }

        foreach (var line in lines)
        {
            await sender.SendAsync(Encoding.UTF8.GetBytes(line), new IPEndPoint(IPAddress.Loopback, syslogPort), TestContext.Current.CancellationToken);
        }

        // Give the collectors a moment to drain their sockets, then stop as Ctrl-C does.
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var exit = await listening;

        Assert.Equal(0, exit);
        Assert.Contains("portmismatch: stopped:", stderr.ToString(), StringComparison.Ordinal);
        // Live, each collector emits its own row for a window (and late rows for stragglers); scan combines them. Summed
        // per window and key, both must agree exactly.
        var expected = LiveTestSupport.Combine(File.ReadAllLines(scanOut));
        var actual = LiveTestSupport.Combine(File.ReadAllLines(listenOut));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task A_replay_of_the_samples_at_a_bounded_rate_gives_the_rows_of_a_scan_with_no_late_row()
    {
        // The samples are from 2024. Sent over a couple of seconds, 10 ms apart, with a one-second idle close: windows are
        // closed by the records' own times as in a scan, and the last ones by inactivity, never as if 2024 were long past.
        var data = Path.Combine(LiveTestSupport.RepositoryRoot(), "samples", "data");
        var ipfixFile = Path.Combine(data, "ipfix-export.ipfix");
        var panosFile = Path.Combine(data, "panos-traffic.log");
        var scanOut = Path.Combine(_temp, "scan.jsonl");
        var (scanExit, _, _) = await Run(CancellationToken.None, "scan", ipfixFile, panosFile, "--window", "5m", "--output", "jsonl", "--out", scanOut, "--quiet");
        Assert.Equal(0, scanExit);
        var expected = File.ReadAllLines(scanOut);

        var ipfixPort = LiveTestSupport.FreeUdpPort();
        var syslogPort = LiveTestSupport.FreeUdpPort();
        var listenOut = Path.Combine(_temp, "listen.jsonl");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(
            ["listen", "--ipfix", $"127.0.0.1:{ipfixPort}", "--syslog-udp", $"127.0.0.1:{syslogPort}", "--window", "5m", "--idle-close", "1s", "--output", "jsonl", "--out", listenOut],
            new StringWriter(),
            stderr,
            stop.Token);

        var messages = LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(ipfixFile, TestContext.Current.CancellationToken));
        var lines = (await File.ReadAllLinesAsync(panosFile, TestContext.Current.CancellationToken)).Where(l => l.Length > 0).ToList();
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        await LiveTestSupport.WaitUntilListening(stderr);
        foreach (var message in messages)
        {
            await sender.SendAsync(message, new IPEndPoint(IPAddress.Loopback, ipfixPort), TestContext.Current.CancellationToken);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        foreach (var line in lines)
        {
            await sender.SendAsync(Encoding.UTF8.GetBytes(line), new IPEndPoint(IPAddress.Loopback, syslogPort), TestContext.Current.CancellationToken);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        // Give the collectors time to drain their sockets and the idle close (a second) time to write the last windows;
        // what it has not written, the stop writes: the rows are the same either way.
        await Task.Delay(2_000, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var exit = await listening;

        Assert.Equal(0, exit);
        var summary = stderr.ToString();
        Assert.Matches($@":{ipfixPort}: {messages.Count} datagrams, 0 dropped", summary);
        Assert.Matches($@":{syslogPort}: {lines.Count} datagrams, 0 dropped", summary);
        var actual = File.ReadAllLines(listenOut);
        Assert.DoesNotContain(actual, line => line.Contains("\"late\":true", StringComparison.Ordinal) || line.Contains("\"partial\":true", StringComparison.Ordinal));
        Assert.Equal(LiveTestSupport.Combine(expected), LiveTestSupport.Combine(actual));
        Assert.Equal(expected.Length, actual.Length); // no key of a window split over rows
    }

    [Theory]
    [InlineData("listen", "--window", "5m")]
    [InlineData("listen", "--ipfix", "127.0.0.1:4739")]
    [InlineData("listen", "--ipfix", "localhost", "--window", "5m")]
    [InlineData("listen", "--ipfix", "127.0.0.1:4739", "--window", "5m", "some.log")]
    public async Task Listen_usage_errors_exit_with_2(params string[] args)
    {
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, new StringWriter(), stderr, TestContext.Current.CancellationToken);
        Assert.Equal(2, exit);
        Assert.StartsWith("portmismatch: ", stderr.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Err)> Run(CancellationToken cancellationToken, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, stdout, stderr, cancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
