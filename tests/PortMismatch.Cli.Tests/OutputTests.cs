using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// An output that fails: a full disk (<c>/dev/full</c> gives ENOSPC) or a reader that went away (EPIPE, <c>| head -1</c>).
/// The run ends by itself with exit code 2 and the failure as its last line; the summary is still written.
/// </summary>
public sealed class OutputTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-output-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("table", 3)]
    [InlineData("csv", 20_000)] // written in pairs of chunks formatted on two cores
    public async Task Scan_to_a_full_disk_exits_with_2_after_the_summary(string output, int rows)
    {
        var log = ManyRows(rows);

        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(["scan", log, "--output", output, "--out", "/dev/full"], new StringWriter(), stderr, TestContext.Current.CancellationToken));

        Assert.Equal(2, exit);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, line => line.StartsWith("portmismatch: 1 input (Zeek)", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.EndsWith(string.Create(CultureInfo.InvariantCulture, $": {rows:N0} rows, not all written"), StringComparison.Ordinal));
        Assert.StartsWith("portmismatch: cannot write rows to /dev/full: No space left on device", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_into_a_pipe_whose_reader_went_away_stops_with_output_closed()
    {
        // `scan ... | head -1`: the lost rows must not go unnoticed with exit code 0.
        var log = ManyRows(20_000);
        using var scan = CliProcess.Start("scan", log, "--output", "csv");

        Assert.Equal("src_ip,dest_ip,app,dest_port,count,firstTime,lastTime", await scan.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));
        scan.StandardOutput.Close();
        var exit = await scan.WaitForExitAsync(CliProcess.Patience);

        Assert.Equal(2, exit);
        Assert.Contains(": 20,000 rows, not all written", scan.StandardError, StringComparison.Ordinal);
        Assert.EndsWith("portmismatch: output closed (standard output): not every row was written.\n", scan.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_to_a_full_disk_stops_by_itself_with_2_and_the_summary()
    {
        // Windows of an hour over records of nine hours: rows are written as records close windows, from a collector's thread.
        var port = LiveTestSupport.FreeUdpPort();
        var stderr = new StringWriter();
        var listening = Task.Run(
            () => CommandLine.RunAsync(["listen", "--ipfix", $"127.0.0.1:{port}", "--window", "1h", "--out", "/dev/full"], new StringWriter(), stderr, TestContext.Current.CancellationToken),
            TestContext.Current.CancellationToken);
        await LiveTestSupport.WaitUntilListening(stderr);
        await SendIpfixSample(port);

        var exit = await listening.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);

        Assert.Equal(2, exit);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, line => line.StartsWith("portmismatch: stopped: ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.StartsWith("portmismatch: udp://", StringComparison.Ordinal));
        Assert.StartsWith("portmismatch: cannot write rows to /dev/full: No space left on device", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_whose_idle_close_meets_a_full_disk_ends_with_2_instead_of_crashing()
    {
        // One window of a day: its row is written when the idle-close clock closes it, on the clock's thread, where an
        // unhandled IOException ends the process (SIGABRT, exit code 134). Needs the pipeline to stop on an output that
        // throws.
        var port = LiveTestSupport.FreeUdpPort();
        using var listen = CliProcess.Start("listen", "--ipfix", $"127.0.0.1:{port}", "--window", "1d", "--idle-close", "1s", "--out", "/dev/full");
        await listen.WaitForErrorAsync("listening on");
        await SendIpfixSample(port);

        var exit = await listen.WaitForExitAsync(CliProcess.Patience);

        Assert.Equal(2, exit);
        Assert.Contains("portmismatch: stopped: ", listen.StandardError, StringComparison.Ordinal);
        Assert.Contains("portmismatch: cannot write rows to /dev/full: No space left on device", listen.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_into_a_pipe_whose_reader_went_away_stops_with_output_closed()
    {
        // `listen | head -1` after head has exited: the collector must stop, not run on writing into nothing.
        var port = LiveTestSupport.FreeUdpPort();
        using var listen = CliProcess.Start("listen", "--ipfix", $"127.0.0.1:{port}", "--window", "1h", "--output", "csv");
        listen.StandardOutput.Close();
        await listen.WaitForErrorAsync("listening on");
        await SendIpfixSample(port);

        var exit = await listen.WaitForExitAsync(CliProcess.Patience);

        Assert.Equal(2, exit);
        Assert.Contains("portmismatch: stopped: ", listen.StandardError, StringComparison.Ordinal);
        Assert.EndsWith("portmismatch: output closed (standard output): not every row was written.\n", listen.StandardError, StringComparison.Ordinal);
    }

    private static async Task SendIpfixSample(int port)
    {
        var file = Repository.Sample("ipfix-export.ipfix");
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        foreach (var message in LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken)))
        {
            await sender.SendAsync(message, new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A Zeek log that gives <paramref name="rows"/> rows (one per source address).</summary>
    private string ManyRows(int rows)
    {
        var path = Path.Combine(_temp, "many.log");
        File.WriteAllText(path, ScanTests.ZeekLog([.. Enumerable.Range(0, rows).Select(i => FormattableString.Invariant(
            $"1700000000.{i:D6}\tC{i}\t10.{i / 62_500}.{i / 250 % 250}.{(i % 250) + 1}\t40000\t192.0.2.1\t4444\ttcp\thttp"))]));
        return path;
    }
}
