using System.Net.Sockets;
using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// Folders as they are found on real machines: symbolic link loops, links and hard links to the same file, FIFOs, sockets
/// and devices. Each file is read once, the rest is reported, and nothing waits forever: a scan that does not end within
/// <see cref="CliProcess.Patience"/> fails the test.
/// </summary>
public sealed class FolderTests : IDisposable
{
    private static readonly string[] Records =
    [
        "1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl",
        "1700000001\tC2\t10.0.0.3\t50001\t192.0.2.1\t4444\ttcp\tssl",
        "1700000002\tC3\t10.0.0.4\t50002\t192.0.2.1\t443\ttcp\tssl",
    ];

    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-folders-").FullName;
    private readonly List<string> _fifos = [];

    public void Dispose()
    {
        // A scan that still waits to open one of them (a failing run) gets end of input instead of a thread blocked for good.
        foreach (var fifo in _fifos)
        {
            UnixFiles.ReleaseReader(fifo);
        }

        Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public async Task A_symlink_loop_is_reported_and_the_files_under_it_are_read_once()
    {
        // Followed blindly, "self" alone makes 41 copies of every record, and with "up" as well the walk never ends.
        var logs = Folder("logs");
        var a = Directory.CreateDirectory(Path.Combine(logs, "a")).FullName;
        File.WriteAllText(Path.Combine(a, "conn.log"), ScanTests.ZeekLog(Records));
        Directory.CreateSymbolicLink(Path.Combine(a, "self"), "../a");
        Directory.CreateSymbolicLink(Path.Combine(a, "up"), "..");
        File.CreateSymbolicLink(Path.Combine(logs, "ping"), "pong");
        File.CreateSymbolicLink(Path.Combine(logs, "pong"), "ping");

        var (exit, _, err) = await Scan(logs, "--output", "csv", "--out", Temp("rows.csv"));

        Assert.Equal(0, exit);
        Assert.Contains("1 input (Zeek)", err, StringComparison.Ordinal);
        Assert.Contains("read 3 = accepted 3 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(a, "self")}: not read: a symbolic link loop: it leads back to {a}.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(a, "up")}: not read: a symbolic link loop: it leads back to {logs}.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(logs, "ping")}: not read: a symbolic link loop", err, StringComparison.Ordinal);
        Assert.Contains("  not read          4  symlink-loop", err, StringComparison.Ordinal);
        Assert.Equal(["1", "1"], File.ReadAllLines(Temp("rows.csv")).Skip(1).Select(line => line.Split(',')[4]));
    }

    [Fact]
    public async Task A_file_reached_by_a_link_a_hard_link_and_by_name_is_read_once()
    {
        var logs = Folder("logs");
        var conn = Path.Combine(logs, "conn.log");
        File.WriteAllText(conn, ScanTests.ZeekLog(Records));
        File.CreateSymbolicLink(Path.Combine(logs, "link.log"), "conn.log");
        UnixFiles.MakeHardLink(conn, Path.Combine(logs, "hard.log"));
        var copy = Directory.CreateDirectory(Path.Combine(_temp, "elsewhere")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(copy, "logs"), logs);

        var (exit, _, err) = await Scan(logs, copy, conn, "--out", Temp("rows.txt"));

        Assert.Equal(0, exit);
        Assert.Contains("1 input (Zeek)", err, StringComparison.Ordinal);
        Assert.Contains("read 3 = accepted 3", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(logs, "hard.log")}: not read: the same file as {conn}.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(logs, "link.log")}: not read: the same file as {conn}.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(copy, "logs")}: not read: the same folder as {logs}.", err, StringComparison.Ordinal);
        Assert.Contains($"{conn}: also in a folder named before; it is read once.", err, StringComparison.Ordinal);
        Assert.Contains("  not read          4  same-file", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_reached_by_a_link_has_the_size_of_the_file_it_leads_to()
    {
        // The size decides whether a large Zeek file is read in parts, whether a file is empty, and the progress bar's total.
        var data = Folder("data");
        var conn = Path.Combine(data, "conn.log");
        File.WriteAllText(conn, ScanTests.ZeekLog(Records));
        var logs = Folder("logs");
        File.CreateSymbolicLink(Path.Combine(logs, "conn.log"), conn);

        var walk = Inputs.Find([logs], TextWriter.Null, quiet: true, TestContext.Current.CancellationToken);

        Assert.Equal(new FileInfo(conn).Length, Assert.Single(walk.Inputs).Length);
    }

    [Fact]
    public async Task A_fifo_a_socket_and_a_link_to_a_device_in_a_folder_are_not_read_and_say_why()
    {
        // Opened, the FIFO would wait for a writer for good, and /dev/zero would be read as Zeek for good.
        var logs = Folder("logs");
        File.WriteAllText(Path.Combine(logs, "conn.log"), ScanTests.ZeekLog(Records));
        var fifo = Fifo(Path.Combine(logs, "pipe.log"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(logs, "collector.sock")));
        File.CreateSymbolicLink(Path.Combine(logs, "zero.log"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(logs, "gone.log"), "nowhere.log");

        var (exit, _, err) = await Scan(logs, "--format", "zeek", "--out", Temp("rows.txt"));

        Assert.Equal(0, exit);
        Assert.Contains("read 3 = accepted 3 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
        Assert.Contains($"{fifo}: not read: a named pipe (FIFO); name it on the command line to read it as a stream.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(logs, "collector.sock")}: not read: a socket.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(logs, "zero.log")}: not read: a device, not a file.", err, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(logs, "gone.log")}: not read: a symbolic link to nothing.", err, StringComparison.Ordinal);
        foreach (var reason in new[] { "fifo", "socket", "device", "broken-link" })
        {
            Assert.Contains($"  not read          1  {reason}\n", err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_fifo_named_on_the_command_line_is_read_as_a_stream()
    {
        // What `scan <(zcat conn.log.gz)` gives the scan: a pipe by name.
        var fifo = Fifo(Temp("conn.fifo"));
        var writing = Task.Run(
            async () =>
            {
                await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                await writer.WriteAsync(Encoding.UTF8.GetBytes(ScanTests.ZeekLog(Records)), TestContext.Current.CancellationToken);
            },
            TestContext.Current.CancellationToken);

        var (exit, _, err) = await Scan(fifo, "--output", "csv", "--out", Temp("rows.csv"));
        await writing.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("read 3 = accepted 3 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(Temp("rows.csv")).Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cancelling_a_scan_that_waits_on_a_fifo_ends_it(bool writerConnected)
    {
        // Without a writer the scan waits in open(); with a silent one, in read(); neither call looks at the token. The
        // cancellation comes once a thread of the scan is seen waiting there.
        var fifo = Fifo(Temp("slow.fifo"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var release = new CancellationTokenSource();
        var stderr = new StringWriter();
        var openingBefore = FifoWaits.ThreadsOpening();
        var scan = Task.Run(() => CommandLine.RunAsync(["scan", fifo, "--format", "zeek", "--out", Temp("rows.txt")], new StringWriter(), stderr, stop.Token), TestContext.Current.CancellationToken);
        Task? writer = null;
        if (!writerConnected)
        {
            await FifoWaits.Until(() => FifoWaits.ThreadsOpening().Except(openingBefore).Any(), $"opening {fifo}");
        }
        else
        {
            // Opening the write end returns once the scan has opened the read end; then nothing is written until the end.
            var opened = new TaskCompletionSource();
            writer = Task.Run(
                async () =>
                {
                    await using var stream = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                    opened.SetResult();
                    await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { }, TaskScheduler.Default); // the writer's silence is the input
                },
                TestContext.Current.CancellationToken);
            await opened.Task.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);
            await FifoWaits.Until(() => FifoWaits.SomeThreadReads(fifo), $"reading {fifo}");
        }

        await stop.CancelAsync();
        var exit = await scan.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);
        await release.CancelAsync();
        if (writer is not null)
        {
            await writer.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);
        }

        Assert.Equal(2, exit);
        Assert.Contains("portmismatch: interrupted.", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_stops_a_scan_that_waits_for_bytes_from_a_fifo()
    {
        // The process as a service manager stops it: SIGTERM must end a scan that waits in read(), not be taken and
        // ignored.
        var fifo = Fifo(Temp("quiet.fifo"));
        using var scan = CliProcess.Start("scan", fifo, "--format", "zeek", "--out", Temp("rows.txt"));
        await using (var writer = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write), TestContext.Current.CancellationToken)
            .WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken))
        {
            // The scan has the FIFO open and waits in read(): stop it.
            scan.Terminate();
            var exit = await scan.WaitForExitAsync(CliProcess.Patience);

            Assert.Equal(2, exit);
            Assert.Contains("portmismatch: interrupted.", scan.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_file_replaced_by_a_fifo_after_the_walk_fails_at_once_instead_of_waiting_for_a_writer()
    {
        // The walk saw a regular file of 100 bytes; by the time it is opened it is a FIFO, whose blocking open(2) would
        // wait for a writer for good, deaf to Ctrl-C.
        var fifo = Fifo(Temp("swapped.log"));
        var input = new Input(fifo, fifo, Length: 100, Explicit: false);

        var error = await Assert.ThrowsAsync<IOException>(() => OpenBounded(input));

        Assert.Equal("not read: no longer a regular file but a named pipe (FIFO).", error.Message);
    }

    [Fact]
    public async Task A_file_replaced_by_a_link_to_a_device_after_the_walk_is_not_read()
    {
        // Opened and read as a log, /dev/zero never ends.
        var link = Temp("swapped.log");
        File.CreateSymbolicLink(link, "/dev/zero");
        var input = new Input(link, link, Length: 100, Explicit: false);

        var error = await Assert.ThrowsAsync<IOException>(() => OpenBounded(input));

        Assert.Equal("not read: no longer a regular file but a device.", error.Message);
    }

    /// <summary>Opens an input as a scan does; a test whose open never returns fails after <see cref="CliProcess.Patience"/>.</summary>
    internal static Task<Stream?> OpenBounded(Input input)
        => Task.Run(() => input.OpenAsync(new ScanCommand.Run(new ScanOptions(), TextWriter.Null), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken)
            .WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);

    private static async Task<(int Exit, string Out, string Err)> Scan(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(["scan", .. args], stdout, stderr, TestContext.Current.CancellationToken));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_temp, name)).FullName;

    private string Temp(string name) => Path.Combine(_temp, name);

    private string Fifo(string path)
    {
        UnixFiles.MakeFifo(path);
        _fifos.Add(path);
        return path;
    }
}
