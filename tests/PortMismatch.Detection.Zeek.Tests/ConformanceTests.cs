using System.Text;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>
/// Reads every file of the shared Zeek corpus (Zeek's own btest baselines and Elastic's NDJSON samples) and checks the
/// outcome against the corpus README: no unexpected rejection, the listed files refused or read cleanly, and the
/// detections it lists. Skipped (visibly) when the corpus is not next to the repository.
/// </summary>
public sealed class ConformanceTests
{
    // README: "Files a reader should refuse clearly rather than guess"; the complete conn logs among them may also be read cleanly.
    private static readonly string[] RefusePrefixes =
    [
        "scripts.base.frameworks.logging.field-name-map", "scripts.base.frameworks.logging.scope_sep", "tools.zeek-cut.",
        "plugins.packet-protocol__output_raw",
    ];

    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    [Fact]
    public async Task Every_corpus_file_is_read_or_refused_as_its_README_says_and_the_listed_detections_are_found()
    {
        var corpus = Repository.CorpusOrSkip("zeek");
        var files = Directory.GetFiles(corpus, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var total = new InputCounters();
        var findings = new SortedSet<string>(StringComparer.Ordinal);
        var speculativeFindings = new SortedSet<string>(StringComparer.Ordinal);
        var refused = new List<string>();
        var report = new StringBuilder();

        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            // Besides the README's list, a conn log written with a filter that drops the id columns (spicy.terminate-session
            // logs only uid) cannot be read as flows: the refusal must then name the missing columns.
            var lacksIdColumns = File.ReadLines(file).Any(l => l.StartsWith("#fields", StringComparison.Ordinal) && !l.Contains("\tid.orig_h\t", StringComparison.Ordinal));
            var expectRefusal = lacksIdColumns || RefusePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
            var diagnostics = new List<InputDiagnostic>();
            try
            {
                var sink = new FindingSink(name);
                var counters = await ZeekConnInput.ReadFileAsync(file, sink, diagnostics: diagnostics.Add, cancellationToken: TestContext.Current.CancellationToken);
                var speculative = new FindingSink(name);
                await ZeekConnInput.ReadFileAsync(file, speculative, new ZeekReaderOptions { IncludeSpeculativeService = true }, cancellationToken: TestContext.Current.CancellationToken);

                Assert.True(counters.IsBalanced, $"{name}: {counters}");
                Assert.True(counters.Rejected == 0, $"{name}: unexpected rejections: {string.Join("; ", diagnostics.Where(d => d.Outcome == RecordOutcome.Rejected))}");
                Assert.True(counters.Accepted > 0 || counters.Skipped > 0, $"{name}: nothing read");
                total.Add(counters);
                findings.UnionWith(sink.Findings);
                speculativeFindings.UnionWith(speculative.Findings.Except(sink.Findings));
                report.AppendLine($"{name}: {counters}");
            }
            catch (ZeekFormatException error) when (expectRefusal)
            {
                Assert.True(error.Reason != ZeekFormatError.MissingColumns || lacksIdColumns, $"{name}: {error.Message}");
                refused.Add(name);
                report.AppendLine($"{name}: refused ({error.ReasonCode}) {error.Message}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{files.Count} files, {refused.Count} refused; {total}; skipped by reason: {string.Join(", ", total.SkippedByReason.Select(kv => $"{kv.Key} {kv.Value}"))}");
        TestContext.Current.TestOutputHelper?.WriteLine("findings (file | proto/port | app):\n  " + string.Join("\n  ", findings));
        TestContext.Current.TestOutputHelper?.WriteLine("only with speculative_service:\n  " + string.Join("\n  ", speculativeFindings));
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());

        Assert.True(files.Count >= 160, $"{files.Count} files");
        Assert.Contains("plugins.packet-protocol__output_raw", refused);
        Assert.Contains("scripts.base.frameworks.logging.field-name-map__conn.log", refused);
        Assert.Contains("scripts.base.frameworks.logging.scope_sep__conn.log", refused);
        Assert.Contains("spicy.terminate-session__conn.log", refused);
        Assert.Equal(0, total.Rejected);

        // The README's list of where the reference rule fires is the whole list: every one is found, nothing else.
        var byPort = findings.Select(f => f[(f.IndexOf('|', StringComparison.Ordinal) + 2)..]).ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            "tcp/8240 | http", "tcp/8240 | smtp", "tcp/22 | http", "tcp/27272 | http", "tcp/5000 | http", "tcp/80 | ssl",
            "tcp/21 | ssl", "tcp/110 | ssl", "tcp/143 | ssl", "tcp/389 | ssl", "tcp/502 | ssl", "tcp/2811 | ssl", "tcp/55968 | ssl",
            "tcp/3306 | ssl", "tcp/5222 | ssl", "tcp/5228 | ssl", "tcp/6667 | ssl", "udp/137 | dns", "udp/5353 | dns", "udp/5355 | dns",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), byPort.Order(StringComparer.Ordinal));
        Assert.Contains("scripts.base.protocols.http.http-connect__conn.log | tcp/8240 | smtp", findings);
        Assert.Contains("scripts.base.protocols.ssh.http-port-22__conn.log | tcp/22 | http", findings);
        Assert.Contains("scripts.policy.protocols.conn.speculative-service__conn-post-large.log | tcp/5000 | http", findings);
        Assert.Equal(3, findings.Count(f => f.Contains("tcp/3306 | ssl", StringComparison.Ordinal)));
        Assert.Empty(speculativeFindings); // in these baselines speculative_service only repeats a confirmed service

        // "ftp,-ftp" with failed_service=ftp: the removed analyzer and the failed one are not app values.
        var dpd = new CollectingSink();
        await ZeekConnInput.ReadFileAsync(Path.Combine(corpus, "btest-conn", "scripts.base.frameworks.analyzer.dpd-logging-configuration__conn.log"), dpd, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("ftp", Assert.Single(dpd.Rows).Apps);

        // Elastic's NDJSON samples: a last line without a newline, an ISO-8601 ts, records without service.
        var beats = new CollectingSink();
        var beatsCounters = await ZeekConnInput.ReadFileAsync(Path.Combine(corpus, "elastic-beats", "connection-json.log"), beats, cancellationToken: TestContext.Current.CancellationToken);
        var beatsConn = new CollectingSink();
        await ZeekConnInput.ReadFileAsync(Path.Combine(corpus, "elastic-beats", "conn.log"), beatsConn, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("read 5 = accepted 5 + rejected 0 + skipped 0", beatsCounters.ToString());
        Assert.Equal(["dns", "dns", "dns", "", ""], beats.Rows.Select(r => r.Apps));
        Assert.Equal(FlowTime.FromDateTimeOffset(new DateTimeOffset(2021, 6, 9, 20, 55, 13, TimeSpan.Zero)) + 160328, beats.Rows[^1].Time);
        Assert.Equal([(443, "ssl"), (15011, "")], beatsConn.Rows.Select(r => (r.DestinationPort ?? -1, r.Apps)));
    }

    private sealed class FindingSink(string file) : IFlowRecordSink
    {
        public HashSet<string> Findings { get; } = [];

        public void OnRecord(in FlowRecord record)
        {
            foreach (var app in record.Apps)
            {
                if (Evaluator.TryMatch(app, record.EffectiveDestinationPort, record.Transport, out _))
                {
                    Findings.Add($"{file} | {record.Transport.ToName()}/{record.EffectiveDestinationPort} | {Encoding.UTF8.GetString(app)}");
                }
            }
        }
    }
}
