using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// A NetFlow v5 export is read (not "not recognised") and its records counted; the summary of <c>scan</c> and of
/// <c>listen</c> says in one line that nothing can be detected in them, and what to export instead.
/// </summary>
public sealed class NetFlowV5Tests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-v5-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>A NetFlow v5 packet: the 24-octet header with <paramref name="count"/>, and <paramref name="records"/> 48-octet records.</summary>
    private static byte[] Packet(int records, int? count = null)
    {
        var packet = new byte[24 + (48 * records)];
        BinaryPrimitives.WriteUInt16BigEndian(packet, 5);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(count ?? records));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), 1_700_000_000); // unix_secs
        for (var i = 0; i < records; i++)
        {
            var record = packet.AsSpan(24 + (48 * i), 48);
            IPAddress.Parse("10.0.0.1").GetAddressBytes().CopyTo(record);
            IPAddress.Parse("10.0.0.2").GetAddressBytes().CopyTo(record[4..]);
            BinaryPrimitives.WriteUInt16BigEndian(record[32..], (ushort)(50000 + i));
            BinaryPrimitives.WriteUInt16BigEndian(record[34..], 53);
            record[38] = 17;
        }

        return packet;
    }

    private static string SkippedLine(string stderr, string reason)
        => Assert.Single(stderr.Split('\n'), l => l.StartsWith("  skipped ", StringComparison.Ordinal) && l.Contains($"  {reason}", StringComparison.Ordinal)).TrimEnd('\r');

    private static void AssertExplained(string line, long count)
    {
        Assert.Matches($@"^  skipped +{count:N0}  netflow-v5: ", line);
        Assert.Contains("no application field", line, StringComparison.Ordinal);
        Assert.Contains("nothing can be detected", line, StringComparison.Ordinal);
        Assert.Contains("IPFIX or NetFlow v9", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_reads_a_v5_export_and_says_in_one_line_why_nothing_is_detected()
    {
        var path = Path.Combine(_temp, "export.dat");
        await File.WriteAllBytesAsync(path, [.. Packet(3), .. Packet(30)], TestContext.Current.CancellationToken);

        var (exit, _, err) = await CliProcess.RunInProcess("scan", path, "--output", "csv");

        Assert.True(exit == 0, err);
        Assert.Contains("portmismatch: 1 input (IPFIX / NetFlow) in ", err, StringComparison.Ordinal);
        Assert.Contains("read 33 = accepted 0 + rejected 0 + skipped 33", err, StringComparison.Ordinal);
        Assert.DoesNotContain("not recognised", err, StringComparison.Ordinal);
        AssertExplained(SkippedLine(err, "netflow-v5"), 33);
    }

    [Fact]
    public async Task Other_skip_reasons_keep_their_plain_line()
    {
        // The IPFIX sample's template records are skipped as normal: no explanation is added to them.
        var path = Path.Combine(_temp, "export.dat");
        await File.WriteAllBytesAsync(path, Packet(2), TestContext.Current.CancellationToken);
        var ipfix = Repository.PathOf("samples", "data", "ipfix-export.ipfix");

        var (exit, _, err) = await CliProcess.RunInProcess("scan", ipfix, path, "--output", "csv");

        Assert.True(exit == 0, err);
        Assert.Matches(@"^  skipped +[0-9,]+  template$", SkippedLine(err, "template"));
        AssertExplained(SkippedLine(err, "netflow-v5"), 2);
    }

    [Fact]
    public async Task A_v5_header_with_a_bad_count_is_rejected_with_its_offset()
    {
        var path = Path.Combine(_temp, "bad.dat");
        await File.WriteAllBytesAsync(path, [.. Packet(1), .. Packet(1, count: 400)], TestContext.Current.CancellationToken);

        var (_, _, err) = await CliProcess.RunInProcess("scan", path, "--output", "csv");

        Assert.Contains($"{path} (byte 72): rejected (bad-message-length): NetFlow v5 record count 400 is more than 30", err, StringComparison.Ordinal);
        Assert.Contains("read 2 = accepted 0 + rejected 1 + skipped 1", err, StringComparison.Ordinal);
        AssertExplained(SkippedLine(err, "netflow-v5"), 1);
    }

    [Fact]
    public async Task Listen_says_it_for_v5_datagrams_too()
    {
        var port = LiveTestSupport.FreeUdpPort();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(["listen", "--ipfix", $"127.0.0.1:{port}", "--window", "5m", "--output", "csv"], new StringWriter(), stderr, stop.Token);
        await LiveTestSupport.WaitUntilListening(stderr);

        using var sender = new UdpClient(AddressFamily.InterNetwork);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        await sender.SendAsync(Packet(5), endPoint, TestContext.Current.CancellationToken);
        await sender.SendAsync(Packet(7), endPoint, TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => UdpSocketQueue.Read(endPoint), state => state.QueuedBytes == 0, $"the listener's socket {endPoint} read empty");
        await stop.CancelAsync();
        var exit = await listening;

        var err = stderr.ToString();
        Assert.True(exit == 0, err);
        Assert.Contains("read 12 = accepted 0 + rejected 0 + skipped 12", err, StringComparison.Ordinal);
        AssertExplained(SkippedLine(err, "netflow-v5"), 12);
    }
}
