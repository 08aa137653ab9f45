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
        // Sent at once and stopped as Ctrl-C does: the stop writes the open windows.
        var run = await ScanAndReplay("1h", [], gap: TimeSpan.Zero, quiet: TimeSpan.Zero);

        Assert.Equal(0, run.Exit);
        Assert.Contains("portmismatch: stopped:", run.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(run.Scanned);
        Assert.Equal(LiveTestSupport.Combine(run.Scanned), LiveTestSupport.Combine(run.Listened));
    }

    [Fact]
    public async Task A_replay_of_the_samples_at_a_bounded_rate_gives_the_rows_of_a_scan_with_no_late_row()
    {
        // The samples are from 2024. Sent over a couple of seconds, 10 ms apart, with a one-second idle close: windows are
        // closed by the records' own times as in a scan, and the last ones by inactivity, never as if 2024 were long past.
        // What the idle close has not written after two seconds, the stop writes.
        var run = await ScanAndReplay("5m", ["--idle-close", "1s"], gap: TimeSpan.FromMilliseconds(10), quiet: TimeSpan.FromSeconds(2));

        Assert.Equal(0, run.Exit);
        Assert.Matches($@":{run.IpfixPort}: {run.Datagrams.Ipfix} datagrams, 0 dropped", run.Stderr);
        Assert.Matches($@":{run.SyslogPort}: {run.Datagrams.Syslog} datagrams, 0 dropped", run.Stderr);
        Assert.DoesNotContain(run.Listened, line => line.Contains("\"late\":true", StringComparison.Ordinal) || line.Contains("\"partial\":true", StringComparison.Ordinal));

        // Row by row a live window may come out in two rows of the same key (a sender held up for more than the idle
        // second lets the window close before its next record): compared summed per window and key, like the first test.
        Assert.NotEmpty(run.Scanned);
        Assert.Equal(LiveTestSupport.Combine(run.Scanned), LiveTestSupport.Combine(run.Listened));
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

    /// <summary>
    /// Scans the bundled IPFIX and PAN-OS samples into JSON Lines with windows of <paramref name="window"/>, then listens on
    /// loopback with the same windows and <paramref name="listenOptions"/>, sends each IPFIX message (its length is in its
    /// header) and each log line as a datagram of its own, <paramref name="gap"/> apart, waits until the listener has read
    /// every datagram from its sockets, stays silent for <paramref name="quiet"/> more and stops as Ctrl-C does.
    /// </summary>
    private async Task<LiveRun> ScanAndReplay(string window, string[] listenOptions, TimeSpan gap, TimeSpan quiet)
    {
        var data = Repository.PathOf("samples", "data");
        var ipfixFile = Path.Combine(data, "ipfix-export.ipfix");
        var panosFile = Path.Combine(data, "panos-traffic.log");
        var scanOut = Path.Combine(_temp, "scan.jsonl");
        var (scanExit, _, scanErr) = await Run(TestContext.Current.CancellationToken, ["scan", ipfixFile, panosFile, "--window", window, "--output", "jsonl", "--out", scanOut, "--quiet"]);
        Assert.True(scanExit == 0, scanErr);

        var ipfixPort = LiveTestSupport.FreeUdpPort();
        var syslogPort = LiveTestSupport.FreeUdpPort();
        var listenOut = Path.Combine(_temp, "listen.jsonl");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(
            ["listen", "--ipfix", $"127.0.0.1:{ipfixPort}", "--syslog-udp", $"127.0.0.1:{syslogPort}", "--window", window, .. listenOptions, "--output", "jsonl", "--out", listenOut],
            new StringWriter(),
            stderr,
            stop.Token);

        var messages = LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(ipfixFile, TestContext.Current.CancellationToken));
        var lines = (await File.ReadAllLinesAsync(panosFile, TestContext.Current.CancellationToken)).Where(l => l.Length > 0).ToList();
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        await LiveTestSupport.WaitUntilListening(stderr);
        foreach (var (datagram, port) in messages.Select(m => (m, ipfixPort)).Concat(lines.Select(l => (Encoding.UTF8.GetBytes(l), syslogPort))))
        {
            await sender.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
            if (gap > TimeSpan.Zero)
            {
                await Task.Delay(gap, TestContext.Current.CancellationToken); // the replay's rate: input timing
            }
        }

        foreach (var port in new[] { ipfixPort, syslogPort })
        {
            var socket = new IPEndPoint(IPAddress.Loopback, port);
            await Poll.UntilAsync(() => UdpSocketQueue.Read(socket), state => state.QueuedBytes == 0, $"the listener's socket {socket} read empty");
        }

        if (quiet > TimeSpan.Zero)
        {
            await Task.Delay(quiet, TestContext.Current.CancellationToken); // the sender's silence after its last datagram: input timing
        }
        await stop.CancelAsync();
        var exit = await listening;
        return new LiveRun(exit, stderr.ToString(), File.ReadAllLines(scanOut), File.ReadAllLines(listenOut), ipfixPort, syslogPort, (messages.Count, lines.Count));
    }

    private static Task<(int Exit, string Out, string Err)> Run(CancellationToken cancellationToken, params string[] args)
        => CliProcess.RunInProcess(cancellationToken, args);

    private sealed record LiveRun(int Exit, string Stderr, string[] Scanned, string[] Listened, int IpfixPort, int SyslogPort, (int Ipfix, int Syslog) Datagrams);
}
