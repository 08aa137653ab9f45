extern alias zeek;

using System.Globalization;
using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Attributes;
using GzipReadStream = zeek::PortMismatch.Detection.Internal.GzipReadStream;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>
/// The adapters' gzip reader (src/Shared/GzipReadStream.cs: headers, trailers and CRC-32 read by it, deflate data by a raw
/// DeflateStream) against <see cref="GZipStream"/>, decompressing a generated conn.log of exactly <see cref="ContentMiB"/>
/// MiB (Zeek TSV lines, compressed by GZipStream at the default level, about 1:4) held in memory, into a 64 KiB buffer as
/// the adapters' pipes read. Rows are per MiB of decompressed output: MiB/s = 1,000 / mean in ms; allocations per MiB.
/// </summary>
[MemoryDiagnoser]
public class GzipReadBenchmarks
{
    private const int ContentMiB = 24;

    private static readonly zeek::PortMismatch.Detection.Internal.CompressedInputError Error =
        static (message, byteOffset) => new InvalidDataException($"{message} (byte {byteOffset})");

    private readonly byte[] _buffer = new byte[64 * 1024];
    private byte[] _gzip = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var text = new StringBuilder(ContentMiB << 20);
        text.Append("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n");
        string[] services = ["dns", "ssl", "-", "http", "quic,ssl", "ntp", "ssh"];
        int[] ports = [53, 443, 443, 80, 443, 123, 22];
        while (text.Length < ContentMiB << 20)
        {
            var s = random.Next(services.Length);
            text.Append(CultureInfo.InvariantCulture, $"{1_699_990_000 + random.Next(86_400)}.{random.Next(1_000_000):D6}\tC{random.Next():x8}{random.Next():x8}\t10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}\t{random.Next(1024, 65536)}\t{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}\t{ports[s]}\t{(s is 0 or 4 or 5 ? "udp" : "tcp")}\t{services[s]}\t{random.NextDouble() * 100:F6}\t{random.Next(100_000)}\t{random.Next(10_000_000)}\tSF\n");
        }

        var content = Encoding.ASCII.GetBytes(text.ToString(0, ContentMiB << 20));
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        _gzip = output.ToArray();
        if (Drain(new GzipReadStream(new MemoryStream(_gzip), Error, leaveOpen: false)) != content.Length
            || Drain(new GZipStream(new MemoryStream(_gzip), CompressionMode.Decompress)) != content.Length)
        {
            throw new InvalidOperationException("the readers disagree on the content's length");
        }

        Console.WriteLine($"// {content.Length:N0} bytes of conn.log, {_gzip.Length:N0} bytes gzip");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ContentMiB, Description = "GZipStream, Read")]
    public long GZipStreamRead() => Drain(new GZipStream(new MemoryStream(_gzip), CompressionMode.Decompress));

    [Benchmark(OperationsPerInvoke = ContentMiB, Description = "GzipReadStream, Read")]
    public long GzipReadStreamRead() => Drain(new GzipReadStream(new MemoryStream(_gzip), Error, leaveOpen: false));

    [Benchmark(OperationsPerInvoke = ContentMiB, Description = "GZipStream, ReadAsync")]
    public Task<long> GZipStreamReadAsync() => DrainAsync(new GZipStream(new MemoryStream(_gzip), CompressionMode.Decompress));

    [Benchmark(OperationsPerInvoke = ContentMiB, Description = "GzipReadStream, ReadAsync")]
    public Task<long> GzipReadStreamReadAsync() => DrainAsync(new GzipReadStream(new MemoryStream(_gzip), Error, leaveOpen: false));

    private long Drain(Stream stream)
    {
        using (stream)
        {
            long total = 0;
            for (int n; (n = stream.Read(_buffer)) > 0;)
            {
                total += n;
            }

            return total;
        }
    }

    private async Task<long> DrainAsync(Stream stream)
    {
        await using (stream.ConfigureAwait(false))
        {
            long total = 0;
            for (int n; (n = await stream.ReadAsync(_buffer).ConfigureAwait(false)) > 0;)
            {
                total += n;
            }

            return total;
        }
    }
}
