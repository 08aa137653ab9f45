using System.Text;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Zeek;

namespace PortMismatch.Detection.Adversarial.Tests;

/// <summary>
/// A 100 MB line without a line feed through the streaming Zeek and PAN-OS readers: the line is rejected
/// (<c>line-too-long</c>), the bytes allocated stay a small multiple of <c>MaxLineLength</c> (not of the line), and the
/// valid line after it is read. The input is generated as it is read, so the test holds no 100 MB buffer; the readers
/// complete synchronously over it, so all their allocations are on this thread.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class EndlessLineTests
{
    private const long LineLength = 100L * 1024 * 1024;

    /// <summary>Streams a prefix, <see cref="LineLength"/> bytes of 'x' without a line feed, then a suffix.</summary>
    private sealed class EndlessLineStream(byte[] prefix, byte[] suffix) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => prefix.Length + LineLength + suffix.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length && _position < Length)
            {
                var at = _position;
                int n;
                if (at < prefix.Length)
                {
                    n = Math.Min(buffer.Length - written, prefix.Length - (int)at);
                    prefix.AsSpan((int)at, n).CopyTo(buffer[written..]);
                }
                else if (at < prefix.Length + LineLength)
                {
                    n = (int)Math.Min(buffer.Length - written, prefix.Length + LineLength - at);
                    buffer.Slice(written, n).Fill((byte)'x');
                }
                else
                {
                    var s = (int)(at - prefix.Length - LineLength);
                    n = Math.Min(buffer.Length - written, suffix.Length - s);
                    suffix.AsSpan(s, n).CopyTo(buffer[written..]);
                }

                written += n;
                _position += n;
            }

            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class CountingSink : IFlowRecordSink
    {
        public long Records { get; private set; }

        public void OnRecord(in FlowRecord record) => Records++;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private const string ZeekHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n";
    private const string ZeekLine = "1764158400.5\t10.0.0.1\t50000\t192.0.2.1\t8080\ttcp\thttp\n";

    private const string PanOsLine = "<14>Nov 26 12:00:00 fw01 1,2026/11/26 12:00:00,013201001234,TRAFFIC,end,2561,2026/11/26 12:00:00,10.1.0.25,151.101.1.69,0.0.0.0,0.0.0.0,allow-out,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,siem,,100000,1,52101,8443,0,0,0x400019,tcp,allow,7798,2599,5199,70,2026/11/26 11:59:58,24,any,,,US,,,,,,tcp-fin\n";

    private static bool ReadsOneZeekRecord(byte[] input, ZeekReaderOptions options)
    {
        var reader = new ZeekConnReader(input, new ZeekReaderState(options, "next"));
        return reader.TryRead(out _);
    }

    private static bool ReadsOnePanOsRecord(byte[] input)
    {
        var reader = new PanOsTrafficReader(input, new PanOsReaderState());
        return reader.TryRead(out _);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_100_MB_zeek_line_costs_a_few_MaxLineLength_and_the_next_line_is_read(bool endsWithLineFeed)
    {
        var options = ZeekReaderOptions.Default;
        var stream = new EndlessLineStream(Utf8(ZeekHeader + ZeekLine), Utf8(endsWithLineFeed ? "\n" + ZeekLine : string.Empty));
        var state = new ZeekReaderState(options, "endless");
        var sink = new CountingSink();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var reading = ZeekConnInput.ReadStreamAsync(stream, sink, state, TestContext.Current.CancellationToken).AsTask();
        Assert.True(reading.IsCompleted); // synchronous over this stream: every allocation was on this thread
        var counters = await reading; // completed: continues at once, on this thread
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Current.TestOutputHelper?.WriteLine($"Zeek, 100 MB line: {counters}; {allocated:N0} bytes allocated (MaxLineLength {options.MaxLineLength:N0})");
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(1, counters.RejectedByReason["line-too-long"]);
        Assert.Equal(endsWithLineFeed ? 2 : 1, counters.Accepted);
        Assert.Equal(counters.Accepted, sink.Records);
        Assert.True(counters.IsBalanced, counters.ToString());
        Assert.InRange(allocated, 0, (8L * options.MaxLineLength) + (1L << 20));

        // The next input, with a fresh state, reads normally.
        Assert.True(ReadsOneZeekRecord(Utf8(ZeekHeader + ZeekLine), options));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_100_MB_panos_line_costs_a_few_MaxLineLength_and_the_next_line_is_read(bool endsWithLineFeed)
    {
        var options = PanOsReaderOptions.Default;
        var stream = new EndlessLineStream(Utf8(PanOsLine), Utf8(endsWithLineFeed ? "\n" + PanOsLine : string.Empty));
        var sink = new CountingSink();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var reading = PanOsTrafficInput.ReadStreamAsync(stream, sink, new PanOsReaderState(options, "endless"), TestContext.Current.CancellationToken);
        Assert.True(reading.IsCompleted);
        var counters = await reading; // completed: continues at once, on this thread
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Current.TestOutputHelper?.WriteLine($"PAN-OS, 100 MB line: {counters}; {allocated:N0} bytes allocated (MaxLineLength {options.MaxLineLength:N0})");
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(1, counters.RejectedByReason["line-too-long"]);
        Assert.Equal(endsWithLineFeed ? 2 : 1, counters.Accepted);
        Assert.Equal(counters.Accepted, sink.Records);
        Assert.True(counters.IsBalanced, counters.ToString());
        Assert.InRange(allocated, 0, (8L * options.MaxLineLength) + (1L << 20));

        Assert.True(ReadsOnePanOsRecord(Utf8(PanOsLine)));
    }
}
