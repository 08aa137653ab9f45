using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>
/// Reads the real third-party PAN-OS samples in <c>../shared/corpus/panos</c> (not part of the repository) and checks them
/// against what the corpus README says: every line parses, with the app/port/protocol counts it lists, and the reference
/// rules flag exactly the web-browsing and ssl lines that are off their ports.
/// </summary>
public sealed class CorpusConformanceTests
{
    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    private sealed record Line(string File, long LineNumber, string App, int? Port, Transport Transport, bool Flagged);

    private static (List<Line> Lines, InputCounters Counters, List<InputDiagnostic> Diagnostics) ReadAll(string corpus)
    {
        var lines = new List<Line>();
        var counters = new InputCounters();
        var diagnostics = new List<InputDiagnostic>();
        foreach (var path in Directory.EnumerateFiles(corpus, "*.log", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var reader = new PanOsTrafficReader(File.ReadAllBytes(path), new PanOsReaderState(null, path, diagnostics.Add));
            while (reader.TryRead(out var record))
            {
                var app = record.Apps.IsEmpty ? "" : Encoding.UTF8.GetString(record.Apps.GetEnumerator() is var e && e.MoveNext() ? e.Current : default);
                lines.Add(new Line(Path.GetFileName(path), reader.LineNumber, app, record.DestinationPort, record.Transport, Evaluator.IsMismatch(record)));
            }

            Assert.True(reader.State.Counters.IsBalanced, $"{path}: {reader.State.Counters}");
            counters.Add(reader.State.Counters);
        }

        return (lines, counters, diagnostics);
    }

    [Fact]
    public void Every_corpus_line_is_an_accepted_TRAFFIC_record()
    {
        var corpus = Repository.CorpusOrSkip("panos");
        var physicalLines = Directory.EnumerateFiles(corpus, "*.log", SearchOption.AllDirectories)
            .Sum(path => File.ReadAllLines(path).Count(l => l.Length > 0));

        var (lines, counters, diagnostics) = ReadAll(corpus);

        TestContext.Current.TestOutputHelper?.WriteLine($"corpus: {physicalLines} lines, {counters}, {lines.Count(l => l.Flagged)} flagged");
        Assert.Empty(diagnostics);
        Assert.Equal(physicalLines, counters.Read);
        Assert.Equal(physicalLines, counters.Accepted);
        Assert.True(physicalLines >= 78, $"{physicalLines} lines: the corpus is smaller than its README says");
    }

    [Theory]
    [InlineData("pan_inc_traffic", 43, "web-browsing:80:Tcp=25 dns:53:Udp=15 skype:13069:Udp=1 skype-probe:40026:Udp=1 paloalto-wildfire-cloud:443:Tcp=1")]
    [InlineData("traffic.EXCERPT", 34, "dns:53:Udp=10 ssl:443:Tcp=5 quic:443:Udp=4 web-browsing:80:Tcp=1 ocsp:80:Tcp=1 incomplete:4282:Tcp=2 ping:0:Other=8")]
    [InlineData("traffic_nanos_time", 1, "web-browsing:443:Tcp=1")]
    public void Each_file_has_the_app_port_and_protocol_counts_its_README_lists(string filePrefix, int expectedLines, string expectedCounts)
    {
        var (lines, _, _) = ReadAll(Repository.CorpusOrSkip("panos"));
        var file = lines.Where(l => l.File.StartsWith(filePrefix, StringComparison.Ordinal)).ToList();

        Assert.Equal(expectedLines, file.Count);
        foreach (var expected in expectedCounts.Split(' '))
        {
            var (key, count) = (expected[..expected.IndexOf('=', StringComparison.Ordinal)], int.Parse(expected[(expected.IndexOf('=', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(count, file.Count(l => $"{l.App}:{l.Port}:{l.Transport}" == key));
        }

        if (filePrefix == "traffic.EXCERPT")
        {
            Assert.True(file.Count(l => l.App.StartsWith("apple-", StringComparison.Ordinal) && l.Port == 443) >= 2);
        }
    }

    [Fact]
    public void The_reference_rules_flag_exactly_the_web_browsing_and_ssl_lines_off_their_ports()
    {
        var (lines, _, _) = ReadAll(Repository.CorpusOrSkip("panos"));

        var expected = lines.Where(l => (l.App == "web-browsing" && l.Port is not (80 or 8080 or 8000)) || (l.App == "ssl" && l.Port is not (443 or 8443))).ToList();
        var flagged = lines.Where(l => l.Flagged).ToList();

        Assert.Equal(expected, flagged);
        var only = Assert.Single(flagged);
        Assert.Equal(("traffic_nanos_time.log", "web-browsing", (int?)443), (only.File, only.App, only.Port));
    }
}
