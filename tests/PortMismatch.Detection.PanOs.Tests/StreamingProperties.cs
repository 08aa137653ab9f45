using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>The same input gives the same records, diagnostics and counts whether it is one span, many segments, or a trickling stream.</summary>
public sealed class StreamingProperties
{
    private const string Replay = "(20261126,20261127)";

    [Property(MaxTest = 60, Replay = Replay)]
    public Property Span_sequence_and_stream_reads_agree(PositiveInt seedValue, PositiveInt maxChunkValue)
    {
        var seed = seedValue.Get;
        var maxChunk = 1 + (maxChunkValue.Get % 700);
        var options = PanOsReaderOptions.Default with { MaxLineLength = 2048 };
        var input = InputMix.Generate(seed, 40, 2048);

        var fromSpan = ReadResult.Of(input, options);

        var sequenceDiagnostics = new List<InputDiagnostic>();
        var sequenceRecords = new List<Collected>();
        var reader = new PanOsTrafficReader(Chunking.ToSequence(input, new Random(seed), maxChunk), new PanOsReaderState(options, "test.log", sequenceDiagnostics.Add));
        while (reader.TryRead(out var record))
        {
            sequenceRecords.Add(Collected.From(record));
        }

        var sink = new CollectingSink();
        var streamDiagnostics = new List<InputDiagnostic>();
        var counters = PanOsTrafficInput.ReadStreamAsync(new ChunkedStream(input, seed, maxChunk), sink, new PanOsReaderState(options, "test.log", streamDiagnostics.Add))
            .GetAwaiter().GetResult();

        static string Describe(IEnumerable<InputDiagnostic> diagnostics) => string.Join("\n", diagnostics.Select(d => d.ToString()));
        var expectedDiagnostics = Describe(fromSpan.Diagnostics);
        return (fromSpan.Records.SequenceEqual(sequenceRecords)
                && fromSpan.Records.SequenceEqual(sink.Records)
                && expectedDiagnostics == Describe(sequenceDiagnostics)
                && expectedDiagnostics == Describe(streamDiagnostics)
                && counters.ToString() == fromSpan.Counters.ToString()
                && reader.State.Counters.ToString() == fromSpan.Counters.ToString()
                && counters.IsBalanced
                && fromSpan.Counters.Read > 0)
            .Label($"seed {seed}, chunk {maxChunk}: span {fromSpan.Counters}, sequence {reader.State.Counters}, stream {counters}");
    }
}
