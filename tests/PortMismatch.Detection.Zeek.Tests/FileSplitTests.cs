using System.IO.Compression;
using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>A large file read in parallel parts gives the rows, counters and diagnostic positions of one sequential read.</summary>
public sealed class FileSplitTests : IDisposable
{
    private const long SmallParts = 4096; // the production minimum is 8 MiB; the planner takes it as a parameter
    private readonly string _directory = Directory.CreateTempSubdirectory("pm-zeek-split-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, bool> Files => new()
    {
        { "tsv", false },
        { "tsv", true },
        { "json", false },
        { "json", true },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Parts_read_in_parallel_equal_one_sequential_read(string format, bool bom)
    {
        var text = WithBadLines(format == "tsv" ? ConnLog.GenerateTsv(3000, 20261126) : ConnLog.GenerateJson(3000, 20261126));
        var path = Write($"conn.{format}", (bom ? "\uFEFF" : string.Empty) + text);

        var sequential = await Read([ZeekConnInput.FileSource(path, diagnostics: Collect(out var expectedDiagnostics))]);
        var parts = ZeekConnInput.Split(path, 4, null, Collect(out var actualDiagnostics), SmallParts, checkHeaders: true).Sources;

        Assert.Equal(4, parts.Count);
        var parallel = await Read(parts);
        Assert.Equal(sequential.Rows, parallel.Rows);
        Assert.Equal(sequential.Counters.ToString(), parallel.Counters.ToString());
        Assert.True(parallel.Counters.IsBalanced);
        Assert.Equal(3, parallel.Counters.Rejected);
        Assert.Equal(Positions(expectedDiagnostics), Positions(actualDiagnostics));
    }

    [Fact]
    public void A_concatenated_log_with_a_second_header_is_read_in_one_piece()
    {
        var path = Write("two.log", ConnLog.GenerateTsv(1500, 1) + ConnLog.GenerateTsv(1500, 2));
        Assert.Single(ZeekConnInput.Split(path, 4, null, null, SmallParts, checkHeaders: true).Sources);
    }

    [Fact]
    public async Task A_second_header_in_the_last_part_is_read_by_that_part()
    {
        // The last part applies the header lines of its own range as it reads them: the split stays, and it reads what one
        // reader reads (here the second log has other columns in another order, so a part that missed it would misread).
        var path = Write("tail.log", ConnLog.GenerateTsv(3000, 1) + OtherColumnOrder(ConnLog.GenerateTsv(300, 2)));

        var parts = ZeekConnInput.Split(path, 4, null, null, SmallParts, checkHeaders: true).Sources;
        Assert.Equal(4, parts.Count);
        var sequential = await Read([ZeekConnInput.FileSource(path)]);
        var parallel = await Read(parts);
        Assert.Equal(sequential.Rows, parallel.Rows);
        Assert.Equal(sequential.Counters.ToString(), parallel.Counters.ToString());
        Assert.Equal(0, parallel.Counters.Rejected);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Parts_read_without_a_check_first_equal_one_sequential_read(string format, bool bom)
    {
        // In TSV, a #close line inside the first part (as where two logs were joined without a new header) is no header change.
        var lines = WithBadLines(format == "tsv" ? ConnLog.GenerateTsv(3000, 7) : ConnLog.GenerateJson(3000, 7)).Split('\n').ToList();
        if (format == "tsv")
        {
            lines.Insert(lines.Count / 8, ConnLog.Close.TrimEnd('\n'));
        }

        var path = Write($"conn.{format}", (bom ? "\uFEFF" : string.Empty) + string.Join('\n', lines));

        var sequential = await Read([ZeekConnInput.FileSource(path, diagnostics: Collect(out var expectedDiagnostics))]);
        var split = ZeekConnInput.Split(path, 4, null, Collect(out var actualDiagnostics), SmallParts, checkHeaders: false);

        Assert.Equal(4, split.Sources.Count);
        var parallel = await Read(split.Sources);
        Assert.True(split.ReadAsOne);
        Assert.Equal(sequential.Rows, parallel.Rows);
        Assert.Equal(sequential.Counters.ToString(), parallel.Counters.ToString());
        Assert.Equal(Positions(expectedDiagnostics), Positions(actualDiagnostics));
    }

    [Theory]
    [InlineData(1500, false)] // the second header halfway: in the second of four parts
    [InlineData(300, true)] // the second header in the last part, which applies it as one reader would
    public async Task A_split_without_a_check_tells_whether_a_second_header_came_before_the_last_part(int secondRows, bool readAsOne)
    {
        var first = ConnLog.GenerateTsv(3300 - secondRows, 1);
        var path = Write("two.log", first + OtherColumnOrder(ConnLog.GenerateTsv(secondRows, 2)));

        var split = ZeekConnInput.Split(path, 4, null, null, SmallParts, checkHeaders: false);
        Assert.Equal(4, split.Sources.Count);
        var parallel = await Read(split.Sources);
        Assert.Equal(readAsOne, split.ReadAsOne);
        if (readAsOne)
        {
            Assert.Equal((await Read([ZeekConnInput.FileSource(path)])).Rows, parallel.Rows);
        }
    }

    [Fact]
    public void A_gzip_file_or_a_small_one_is_one_source()
    {
        var text = ConnLog.GenerateTsv(3000, 3);
        var gz = Path.Combine(_directory, "conn.log.gz");
        using (var file = File.Create(gz))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
        {
            zip.Write(Encoding.UTF8.GetBytes(text));
        }

        Assert.Single(ZeekConnInput.Split(gz, 4, null, null, SmallParts, checkHeaders: true).Sources);
        Assert.Single(ZeekConnInput.FileSources(Write("small.log", text), 4)); // under the real 16 MiB minimum
    }

    /// <summary>A log with uid before ts: a reader that missed its header would reject or misread every line.</summary>
    private static string OtherColumnOrder(string log)
    {
        log = log.Replace("#fields\tts\tuid", "#fields\tuid\tts", StringComparison.Ordinal);
        return string.Join('\n', log.Split('\n').Select(line => line.StartsWith('#') || line.Length == 0 ? line : SwapFirstTwo(line)));

        static string SwapFirstTwo(string line)
        {
            var fields = line.Split('\t');
            (fields[0], fields[1]) = (fields[1], fields[0]);
            return string.Join('\t', fields);
        }
    }

    private static string WithBadLines(string text)
    {
        // Three malformed lines spread through the file, so that parts after the first must number them right.
        var lines = text.Split('\n').ToList();
        foreach (var at in new[] { lines.Count / 5, lines.Count / 2, lines.Count * 4 / 5 })
        {
            lines.Insert(at, lines[at].StartsWith('{') ? "{\"ts\":\"not a time\"}" : "garbage\tline");
        }

        return string.Join('\n', lines);
    }

    private static Action<InputDiagnostic> Collect(out List<InputDiagnostic> list)
    {
        var diagnostics = new List<InputDiagnostic>();
        list = diagnostics;
        return d =>
        {
            lock (diagnostics)
            {
                diagnostics.Add(d);
            }
        };
    }

    private static List<string> Positions(List<InputDiagnostic> diagnostics)
        => diagnostics.Select(d => $"{d.Outcome} {d.Reason} line {d.LineNumber} offset {d.ByteOffset}").Order(StringComparer.Ordinal).ToList();

    private static async Task<(List<string> Rows, InputCounters Counters)> Read(IReadOnlyList<IFlowSource> sources)
    {
        var rows = new List<string>();
        using var pipeline = new DetectionPipeline(new DetectionPipelineOptions { Aggregation = AggregatorOptions.Default with { Grouping = AppGrouping.AllValues } }, new Sink(rows));
        var result = await pipeline.RunAsync(sources, TestContext.Current.CancellationToken);
        Assert.Empty(result.Failures);
        rows.Sort(StringComparer.Ordinal);
        return (rows, result.Counters.Input);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private sealed class Sink(List<string> rows) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => rows.Add(FormattableString.Invariant(
            $"{row.SourceAddress} {row.DestinationAddress} {row.App} {row.DestinationPort} {row.Count} {row.FirstTimeMicroseconds} {row.LastTimeMicroseconds}"));
    }
}
