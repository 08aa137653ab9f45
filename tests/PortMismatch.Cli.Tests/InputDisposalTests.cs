using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// A scan gives back what it takes for an input, however the input ends: the gzip reader's pooled buffer (and its
/// inflater) are released when the input is done, not left to the garbage collector. Watches the shared array pool's
/// events, so it runs alone.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class InputDisposalTests : IDisposable
{
    private const string Header = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n";

    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-disposal-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 2)] // cut short: the input fails part-way
    public async Task A_gzip_input_returns_every_pooled_buffer_it_rented(bool truncated, int expectedExit)
    {
        var path = Path.Combine(_temp, "conn.log.gz");
        var gzip = Gzip(Header + string.Concat(Enumerable.Range(0, 2000).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{1_700_000_000 + i}\tC{i}\t10.0.{i / 200}.{i % 200}\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl\n"))));
        await File.WriteAllBytesAsync(path, truncated ? gzip[..(gzip.Length / 2)] : gzip, TestContext.Current.CancellationToken);

        int exit;
        using (var pool = new PoolWatch())
        {
            exit = await CommandLine.RunAsync(["scan", path, "--out", Path.Combine(_temp, "rows.txt"), "--quiet"], new StringWriter(), new StringWriter(), TestContext.Current.CancellationToken);
            Assert.Equal(expectedExit, exit);
            Assert.True(pool.Rented > 0, "the scan rented no pooled buffer: nothing was checked");
            Assert.Empty(pool.Outstanding);
        }
    }

    private static byte[] Gzip(string text)
    {
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return bytes.ToArray();
    }

    /// <summary>The buffers of <see cref="System.Buffers.ArrayPool{T}.Shared"/> rented and not returned while it listens, by size.</summary>
    private sealed class PoolWatch : EventListener
    {
        private readonly ConcurrentDictionary<int, int> _outstanding = new();
        private int _rented;

        public int Rented => Volatile.Read(ref _rented);

        /// <summary>Gets the sizes of the buffers rented and not given back.</summary>
        public List<int> Outstanding => [.. _outstanding.Where(b => b.Value > 0).Select(b => b.Key)];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            // BufferRented(bufferId, bufferSize, poolId, bucketId); BufferReturned(bufferId, bufferSize, poolId).
            switch (eventData.EventName)
            {
                case "BufferRented":
                    Interlocked.Increment(ref _rented);
                    _outstanding.AddOrUpdate((int)eventData.Payload![1]!, 1, (_, n) => n + 1);
                    break;
                case "BufferReturned":
                    _outstanding.AddOrUpdate((int)eventData.Payload![1]!, -1, (_, n) => n - 1);
                    break;
            }
        }
    }
}
