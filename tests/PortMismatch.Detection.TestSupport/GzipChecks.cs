using System.IO.Pipelines;

namespace PortMismatch.Detection.TestSupport;

/// <summary>Runs a <see cref="GzipCase"/> through one path of an adapter and checks the outcome the case asks for.</summary>
public static class GzipChecks
{
    /// <summary>The error reason every adapter gives damaged gzip input.</summary>
    public const string Reason = "corrupt-compressed-input";

    /// <summary>
    /// Reads and checks: a damaged case ends with an <see cref="InputFormatException"/> of <see cref="Reason"/> at the
    /// case's offset (named <paramref name="inputName"/> when given), a valid one without; the records delivered are within
    /// the case's range and, when the counters are known, balanced and equal to them.
    /// </summary>
    /// <param name="gzip">The case.</param>
    /// <param name="path">The path's name for messages (file, stream, pipe).</param>
    /// <param name="read">Reads the case's bytes into the sink.</param>
    /// <param name="counters">The counters of the read, read after it ended (also after an exception), or <see langword="null"/> if unknown.</param>
    /// <param name="inputName">The input name the error must carry, or <see langword="null"/> to not check it.</param>
    public static async Task ExpectAsync(GzipCase gzip, string path, Func<IFlowRecordSink, Task> read, Func<InputCounters?> counters, string? inputName = null)
    {
        var sink = new CountingSink();
        InputFormatException? error = null;
        try
        {
            await read(sink);
        }
        catch (InputFormatException e)
        {
            error = e;
        }

        var where = $"{gzip.Name} via {path}";
        if (gzip.IsDamaged)
        {
            Assert.True(error is not null, $"{where}: read as complete ({sink.Records} records)");
            Assert.True(error.ReasonCode == Reason, $"{where}: {error.ReasonCode}: {error.Message}");
            Assert.True(error.ByteOffset == gzip.Offset, $"{where}: offset {error.ByteOffset}, expected {gzip.Offset}: {error.Message}");
            if (inputName is not null)
            {
                Assert.Equal(inputName, error.InputName);
            }
        }
        else
        {
            Assert.True(error is null, $"{where}: {error?.ReasonCode}: {error?.Message}");
        }

        Assert.True(sink.Records >= gzip.MinRecords && sink.Records <= gzip.MaxRecords, $"{where}: {sink.Records} records, expected {gzip.MinRecords} to {gzip.MaxRecords}");
        if (counters() is { } known)
        {
            Assert.True(known.IsBalanced, $"{where}: {known}");
            Assert.Equal(sink.Records, known.Accepted);
        }
    }

    /// <summary>
    /// Runs the source through a <see cref="DetectionPipeline"/>: a damaged case is its one failure (the error, not an
    /// exception out of the pipeline) with the records before the damage counted; a valid case reads whole.
    /// </summary>
    /// <param name="gzip">The case.</param>
    /// <param name="source">A file source of the case's bytes.</param>
    public static async Task ExpectInPipelineAsync(GzipCase gzip, IFlowSource source)
    {
        var pipeline = new DetectionPipeline(null, new NoRows());
        var result = await pipeline.RunAsync([source], TestContext.Current.CancellationToken);
        var where = $"{gzip.Name} via a file source in a pipeline";
        var input = result.Counters.Input;
        Assert.True(input.IsBalanced, $"{where}: {input}");
        Assert.True(input.Accepted >= gzip.MinRecords && input.Accepted <= gzip.MaxRecords, $"{where}: {input}");
        if (gzip.IsDamaged)
        {
            var failure = Assert.Single(result.Failures);
            var error = Assert.IsAssignableFrom<InputFormatException>(failure.Error);
            Assert.Equal(Reason, error.ReasonCode);
            Assert.Equal(gzip.Offset, error.ByteOffset);
            Assert.Equal(1, result.Counters.SourcesFailed);
        }
        else
        {
            Assert.Empty(result.Failures);
        }
    }

    /// <summary>A pipe that holds <paramref name="bytes"/>, written in seeded pieces of 1 to 1,000 bytes, and is complete.</summary>
    public static async Task<PipeReader> PipeOfAsync(byte[] bytes, int seed)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));
        var random = new Random(seed);
        for (var at = 0; at < bytes.Length;)
        {
            var n = Math.Min(random.Next(1, 1001), bytes.Length - at);
            await pipe.Writer.WriteAsync(bytes.AsMemory(at, n), TestContext.Current.CancellationToken);
            at += n;
        }

        await pipe.Writer.CompleteAsync();
        return pipe.Reader;
    }

    /// <summary>Counts the records it receives.</summary>
    public sealed class CountingSink : IFlowRecordSink
    {
        /// <summary>Gets the number of records received.</summary>
        public long Records { get; private set; }

        /// <inheritdoc/>
        public void OnRecord(in FlowRecord record) => Records++;
    }

    private sealed class NoRows : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
        }
    }
}
