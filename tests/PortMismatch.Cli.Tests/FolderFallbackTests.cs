using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// Folders where <c>statx(2)</c> cannot be used (an old sandbox refuses it with EPERM, an old C library lacks it): the
/// walk identifies files by path and cannot tell a FIFO or a device from a file, so what is opened is checked then.
/// These tests turn the call off for the whole process, so they run alone.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class FolderFallbackTests : IDisposable
{
    private const string Refused = "statx: Operation not permitted";

    private static readonly string[] Records =
    [
        "1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl",
        "1700000001\tC2\t10.0.0.3\t50001\t192.0.2.1\t4444\ttcp\tssl",
        "1700000002\tC3\t10.0.0.4\t50002\t192.0.2.1\t443\ttcp\tssl",
    ];

    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-fallback-").FullName;
    private readonly List<string> _fifos = [];

    public FolderFallbackTests() => FileStatus.SetUnavailableReason(Refused);

    public void Dispose()
    {
        FileStatus.SetUnavailableReason(null);
        foreach (var fifo in _fifos)
        {
            UnixFiles.ReleaseReader(fifo);
        }

        Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public async Task A_file_replaced_by_a_fifo_after_the_walk_fails_at_once()
    {
        var fifo = Fifo(Temp("swapped.log"));

        var error = await Assert.ThrowsAsync<IOException>(() => FolderTests.OpenBounded(new Input(fifo, fifo, Length: 100, Explicit: false)));

        Assert.Equal("not read: no longer a regular file but a pipe, socket or terminal.", error.Message);
    }

    [Fact]
    public async Task A_file_replaced_by_a_link_to_a_device_after_the_walk_is_read_as_empty()
    {
        // Without statx a device cannot be told from a file, but it has no size: nothing is read.
        var link = Temp("swapped.log");
        File.CreateSymbolicLink(link, "/dev/zero");

        Assert.Null(await FolderTests.OpenBounded(new Input(link, link, Length: 100, Explicit: false)));
    }

    [Fact]
    public async Task A_folder_with_fifos_and_a_link_to_a_device_is_scanned_and_says_once_what_it_cannot_tell()
    {
        var logs = Directory.CreateDirectory(Temp("logs")).FullName;
        File.WriteAllText(Path.Combine(logs, "conn.log"), ScanTests.ZeekLog(Records));
        File.CreateSymbolicLink(Path.Combine(logs, "linked-pipe.log"), Fifo(Temp("pipe.fifo")));
        Fifo(Path.Combine(logs, "pipe.log"));
        File.CreateSymbolicLink(Path.Combine(logs, "zero.log"), "/dev/zero");

        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(["scan", logs, "--format", "zeek", "--out", Temp("rows.txt")], new StringWriter(), stderr, TestContext.Current.CancellationToken));

        var err = stderr.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("4 inputs (1 Zeek, 3 empty)", err, StringComparison.Ordinal);
        Assert.Contains("read 3 = accepted 3 + rejected 0 + skipped 0", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n'), line => line.StartsWith($"portmismatch: {Refused}: files are told apart by their paths (a hard link is read again); FIFOs, sockets and devices in folders count as empty files.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fifo_named_on_the_command_line_is_still_read_as_a_stream()
    {
        // What `scan <(zcat conn.log.gz)` gives the scan. Taken for an empty file, it would not be read at all.
        var fifo = Fifo(Temp("conn.fifo"));
        var writing = Task.Run(
            async () =>
            {
                await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                await writer.WriteAsync(Encoding.UTF8.GetBytes(ScanTests.ZeekLog(Records)), TestContext.Current.CancellationToken);
            },
            TestContext.Current.CancellationToken);

        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(["scan", fifo, "--out", Temp("rows.txt")], new StringWriter(), stderr, TestContext.Current.CancellationToken));
        await writing.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("read 3 = accepted 3 + rejected 0 + skipped 0", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_fifo_whose_writer_waits_before_the_scan_starts_is_read_whole()
    {
        // The writer is in open(2) first, as a shell's `<(zcat x.gz)` often is. A look at the FIFO that opens and closes
        // it would let that open return and leave the writer writing to no reader, and the scan's own open waiting for good.
        var fifo = Fifo(Temp("conn.fifo"));
        var before = FifoWaits.ThreadsOpening();
        var writing = Task.Factory.StartNew(
            () =>
            {
                using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                writer.Write(Encoding.UTF8.GetBytes(ScanTests.ZeekLog(Records)));
            },
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await FifoWaits.Until(() => FifoWaits.ThreadsOpening().Except(before).Any(), "the writer waits in open");

        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(["scan", fifo, "--out", Temp("rows.txt")], new StringWriter(), stderr, TestContext.Current.CancellationToken));
        await writing.WaitAsync(CliProcess.Patience, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Contains("read 3 = accepted 3 + rejected 0 + skipped 0", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_file_named_on_the_command_line_counts_as_empty()
    {
        // Without statx a named entry of size 0 is opened as a FIFO would be; a file it turns out to be is empty.
        var empty = Temp("empty.log");
        File.WriteAllBytes(empty, []);

        var stderr = new StringWriter();
        var exit = await CliProcess.Bounded(() => CommandLine.RunAsync(["scan", empty, "--out", Temp("rows.txt")], new StringWriter(), stderr, TestContext.Current.CancellationToken));

        Assert.Equal(0, exit);
        Assert.Contains("1 input (empty)", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains(": 0 records", stderr.ToString(), StringComparison.Ordinal);
    }

    private string Temp(string name) => Path.Combine(_temp, name);

    private string Fifo(string path)
    {
        UnixFiles.MakeFifo(path);
        _fifos.Add(path);
        return path;
    }
}
