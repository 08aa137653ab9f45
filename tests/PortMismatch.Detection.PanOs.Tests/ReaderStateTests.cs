namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>
/// A <see cref="PanOsReaderState"/> carries an input from one reader to the next, as <c>JsonReaderState</c> does for
/// <c>Utf8JsonReader</c>: reading in pieces that are not final gives what one read of the whole gives.
/// </summary>
public sealed class ReaderStateTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 64)]
    [InlineData(3, 700)]
    [InlineData(4, 5000)]
    public void Reading_in_pieces_with_one_state_gives_the_records_counters_and_diagnostics_of_one_read(int seed, int maxPiece)
    {
        var options = PanOsReaderOptions.Default with { MaxLineLength = 512 };
        var input = InputMix.Generate(seed, 200, options.MaxLineLength);
        var whole = ReadResult.Of(input, options);

        var diagnostics = new List<InputDiagnostic>();
        var state = new PanOsReaderState(options, "test.log", diagnostics.Add);
        var sink = new CollectingSink();
        var random = new Random(seed);
        var carried = Array.Empty<byte>();
        var at = 0;
        var largestCarried = 0;
        while (true)
        {
            var next = Math.Min(input.Length - at, random.Next(1, maxPiece + 1));
            var piece = carried.Concat(input.AsSpan(at, next).ToArray()).ToArray();
            at += next;
            var isFinal = at == input.Length;
            var reader = new PanOsTrafficReader(piece, state, isFinal);
            while (reader.TryRead(out var record))
            {
                sink.OnRecord(record);
            }

            carried = piece[(int)reader.BytesConsumed..];
            largestCarried = Math.Max(largestCarried, carried.Length);
            if (isFinal)
            {
                break;
            }
        }

        Assert.Equal(whole.Records, sink.Records);
        Assert.Equal(whole.Counters.ToString(), state.Counters.ToString());
        Assert.Equal(whole.Diagnostics.Select(d => d.ToString()), diagnostics.Select(d => d.ToString()));
        Assert.Empty(carried);
        Assert.Equal(input.Length, state.BytesConsumed);
        Assert.True(largestCarried <= options.MaxLineLength + 12, $"seed {seed}: {largestCarried} bytes carried"); // an over-long line is skipped, not kept
    }

    [Fact]
    public void The_state_says_where_reading_continues()
    {
        var state = new PanOsReaderState(inputName: "x");
        var line = $"{new TrafficLine()}\n";
        var input = System.Text.Encoding.UTF8.GetBytes(line + line + "<14>Nov 30 16:09:08 fw 1,2018/11/30");

        var reader = new PanOsTrafficReader(input, state, isFinalBlock: false);
        Assert.True(reader.TryRead(out _));
        Assert.True(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));

        Assert.Equal(2 * line.Length, reader.BytesConsumed);
        Assert.Equal(2 * line.Length, state.BytesConsumed);
        Assert.Equal(3, state.LineNumber);
        Assert.Equal(("x", 2L), (state.InputName, state.Counters.Accepted));
        Assert.Same(PanOsReaderOptions.Default, state.Options);
    }
}
