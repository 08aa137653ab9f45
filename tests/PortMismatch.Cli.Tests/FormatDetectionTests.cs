using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// How a scan tells an input's format: detected from its first bytes without --format (the PAN-OS header forms the reader
/// reads included); with --format, the named format when the content is in it, else an error naming what it looks like;
/// and, for content no format recognises, one line that quotes its start and says why each format is not it.
/// </summary>
public sealed class FormatDetectionTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-formats-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>The samples, by the --format value that names each.</summary>
    public static readonly string[] Samples = ["zeek", "zeek-json", "panos", "ipfix", "pcap"];

    /// <summary>The --format values (auto: none given).</summary>
    public static readonly string[] Formats = ["auto", "zeek", "zeek-json", "panos", "ipfix", "pcap"];

    public static TheoryData<string, string> EachSampleWithEachFormat()
    {
        var data = new TheoryData<string, string>();
        foreach (var sample in Samples)
        {
            foreach (var format in Formats)
            {
                data.Add(sample, format);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EachSampleWithEachFormat))]
    public async Task Each_format_reads_its_own_content_and_refuses_another_formats_naming_it(string sample, string format)
    {
        var path = Write(sample);
        string[] args = format == "auto" ? ["scan", path, "--out", Temp("rows.txt")] : ["scan", path, "--format", format, "--out", Temp("rows.txt")];

        var (exit, err) = await Run(args);

        // A format reads its own samples; zeek reads both Zeek forms, ipfix reads captures too (the IPFIX reader reads pcap).
        var reads = format == "auto" || format == sample || (format == "zeek" && sample == "zeek-json") || (format == "ipfix" && sample == "pcap");
        if (reads)
        {
            Assert.NotEqual(2, exit);
            var readAs = format == "auto" ? sample : format;
            var summary = err.Split('\n').Single(line => line.StartsWith("portmismatch: 1 input", StringComparison.Ordinal));
            Assert.Matches($@"\((1 )?{Regex.Escape(Display(readAs))}\)", summary);
            Assert.Contains("rejected 0", summary, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(2, exit);
            var line = err.Split('\n').Single(l => l.StartsWith($"portmismatch: {path}: ", StringComparison.Ordinal));
            Assert.StartsWith($"portmismatch: {path}: --format {format}, but it looks like ", line, StringComparison.Ordinal);
            Assert.Contains($"(--format {sample})", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Content_no_format_recognises_is_refused_in_one_line_that_quotes_its_start_and_each_formats_reason()
    {
        var path = Temp("notes.txt");
        File.WriteAllText(path, "hello, world\nsecond line\n");

        var (exit, err) = await Run("scan", path, "--out", Temp("rows.txt"));

        Assert.Equal(2, exit);
        var line = err.Split('\n').Single(l => l.StartsWith($"portmismatch: {path}: ", StringComparison.Ordinal));
        Assert.Contains("it starts with \"hello, world\\x0asecond line\\x0a\"; ", line, StringComparison.Ordinal);
        foreach (var format in new[] { "ipfix", "zeek", "panos" })
        {
            Assert.Contains($"; {format}: ", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_folder_of_every_format_is_read_each_by_its_own_reader()
    {
        var folder = Directory.CreateDirectory(Temp("mixed")).FullName;
        foreach (var sample in Samples)
        {
            File.Move(Write(sample), Path.Combine(folder, sample + ".log"));
        }

        var (exit, err) = await Run("scan", folder, "--out", Temp("rows.txt"));

        Assert.NotEqual(2, exit);
        var summary = err.Split('\n').Single(line => line.StartsWith("portmismatch: 5 inputs", StringComparison.Ordinal));
        Assert.Contains("2 Zeek", summary, StringComparison.Ordinal);
        Assert.Contains("1 PAN-OS", summary, StringComparison.Ordinal);
        Assert.Contains("1 IPFIX / NetFlow", summary, StringComparison.Ordinal);
        Assert.Contains("1 capture", summary, StringComparison.Ordinal);
        Assert.Contains("rejected 0", summary, StringComparison.Ordinal);
    }

    private static string Display(string format) => format switch
    {
        "zeek" or "zeek-json" => "Zeek",
        "panos" => "PAN-OS",
        "ipfix" => "IPFIX / NetFlow",
        _ => "capture",
    };

    private string Write(string sample)
    {
        var path = Temp($"{sample}-{Guid.NewGuid():N}.input");
        switch (sample)
        {
            case "zeek":
                File.WriteAllText(path, ScanTests.ZeekLog("1700000000\tC1\t10.0.0.2\t50000\t192.0.2.1\t4444\ttcp\tssl"));
                break;
            case "zeek-json":
                File.WriteAllText(path, "{\"_path\":\"conn\",\"ts\":1700000000.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.2\",\"id.orig_p\":50000,\"id.resp_h\":\"192.0.2.1\",\"id.resp_p\":4444,\"proto\":\"tcp\",\"service\":\"ssl\"}\n");
                break;
            case "panos":
                // The bundled sample's lines without their <PRI>: BSD syslog as a file written by a syslog daemon.
                File.WriteAllLines(path, File.ReadAllLines(Repository.Sample("panos-traffic.log")).Select(l => l[(l.IndexOf('>', StringComparison.Ordinal) + 1)..]));
                break;
            case "ipfix":
                File.Copy(Repository.Sample("ipfix-export.ipfix"), path);
                break;
            default:
                File.WriteAllBytes(path, Pcap(FirstMessage(File.ReadAllBytes(Repository.Sample("ipfix-export.ipfix")))));
                break;
        }

        return path;
    }

    private static byte[] FirstMessage(byte[] export) => export[..BinaryPrimitives.ReadUInt16BigEndian(export.AsSpan(2))];

    // A pcap (link type 101, raw IP) of one IPv4 UDP datagram to port 4739 carrying the payload.
    private static byte[] Pcap(byte[] payload)
    {
        var ip = new byte[20 + 8];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)(ip.Length + payload.Length));
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 192;
        ip[14] = 2;
        ip[15] = 1;
        ip[16] = 192;
        ip[18] = 2;
        ip[19] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(20), 50000);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(22), 4739);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(24), (ushort)(8 + payload.Length));
        byte[] packet = [.. ip, .. payload];

        var file = new byte[24 + 16];
        BinaryPrimitives.WriteUInt32LittleEndian(file, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), 101);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24), 1_700_000_000);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(32), (uint)packet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(36), (uint)packet.Length);
        return [.. file, .. packet];
    }

    private string Temp(string name) => Path.Combine(_temp, name);

    private static async Task<(int Exit, string Err)> Run(params string[] args)
    {
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, new StringWriter(), stderr, TestContext.Current.CancellationToken);
        return (exit, stderr.ToString());
    }
}
