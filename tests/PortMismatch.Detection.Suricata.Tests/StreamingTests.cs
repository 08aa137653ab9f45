using System.IO.Pipelines;
using System.Text;
using PortMismatch.Detection.Suricata.Tests.Support;

namespace PortMismatch.Detection.Suricata.Tests;

public sealed class StreamingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_stream_read_in_random_pieces_gives_what_one_span_gives(int seed)
    {
        var text = EveLog.Generate(2_000, seed) + Eve.Flow(srcPort: 70000) + "\n" + Eve.Flow(); // a rejection, and a last line without its line feed
        var whole = Eve.Read(text);
        var sink = new CollectingSink();
        var state = new SuricataReaderState(inputName: "stream");

        var counters = await SuricataEveInput.ReadStreamAsync(new ChunkedStream(Encoding.UTF8.GetBytes(text), seed, maxPiece: 777), sink, state, Ct);

        Assert.Equal(whole.Rows, sink.Rows);
        Assert.Equal(whole.Counters.ToString(), counters.ToString());
        Assert.Equal(2_001, counters.Accepted);
        Assert.Equal(400, counters.SkippedByReason["not-a-flow-event"]);
        Assert.Equal(1, counters.RejectedByReason["port-out-of-range"]);
        Assert.True(counters.IsBalanced);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), state.BytesConsumed);
    }

    [Fact]
    public async Task A_pipe_read_gives_what_one_span_gives()
    {
        var text = EveLog.Generate(1_000, seed: 4);
        var pipe = new Pipe();
        var bytes = Encoding.UTF8.GetBytes(text);
        var sink = new CollectingSink();
        var reading = SuricataEveInput.ReadAsync(pipe.Reader, sink, new SuricataReaderState(), Ct).AsTask();
        for (var at = 0; at < bytes.Length; at += 1_000)
        {
            await pipe.Writer.WriteAsync(bytes.AsMemory(at, Math.Min(1_000, bytes.Length - at)), Ct);
        }

        await pipe.Writer.CompleteAsync();
        var counters = await reading;

        Assert.Equal(Eve.Read(text).Rows, sink.Rows);
        Assert.Equal(1_000, counters.Accepted);
    }

    [Fact]
    public async Task A_file_source_in_a_pipeline_counts_what_it_read()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("pm-suricata-").FullName, "eve.json");
        await File.WriteAllTextAsync(path, EveLog.Generate(500, seed: 5), Ct);
        var source = SuricataEveInput.FileSource(path);

        var result = await new DetectionPipeline(null, new NoRows()).RunAsync([source], Ct);

        Assert.Empty(result.Failures);
        Assert.Equal("read 600 = accepted 500 + rejected 0 + skipped 100", result.Counters.Input.ToString());
        Assert.Equal(500, source.Counters.Accepted);
        File.Delete(path);
    }

    private sealed class NoRows : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
