using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PortMismatch.Detection.Suricata.Tests.Support;

namespace PortMismatch.Detection.Suricata.Tests.DependencyInjection;

public sealed class DependencyInjectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pm-suricata-di-").FullName;

    [Fact]
    public async Task AddSuricata_reads_the_configured_files_through_the_pipeline()
    {
        var first = Write("eve.json", EveLog.Generate(300, 1));
        var second = Write("eve.json.1", EveLog.Generate(200, 2));
        var rows = new List<MismatchRow>();
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new Sink(rows));
        services.AddPortMismatchDetection().AddSuricata(o => o.Files.Add(first)).AddSuricata(o => o.Files.Add(second));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var source = Assert.Single(provider.GetServices<IFlowSource>());
        var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([source], TestContext.Current.CancellationToken);

        var expected = new List<MismatchRow>();
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), new Sink(expected));
        await SuricataEveInput.ReadFileAsync(first, aggregator, cancellationToken: TestContext.Current.CancellationToken);
        await SuricataEveInput.ReadFileAsync(second, aggregator, cancellationToken: TestContext.Current.CancellationToken);
        aggregator.Complete();

        Assert.Empty(result.Failures);
        Assert.Equal("read 600 = accepted 500 + rejected 0 + skipped 100", result.Counters.Input.ToString());
        Assert.NotEmpty(rows);
        Assert.Equal(expected.Count, rows.Count);
        Assert.Equal(expected.Sum(r => (long)r.Count), rows.Sum(r => (long)r.Count));
    }

    [Fact]
    public void Missing_files_and_bad_options_fail_startup_validation_by_name()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null));
        services.AddPortMismatchDetection().AddSuricata(o =>
        {
            o.Files.Add("/nonexistent/eve.json");
            o.MaxLineLength = 1;
        });
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("SuricataSourceOptions.Files: '/nonexistent/eve.json' does not exist.", e.Failures);
        Assert.Contains(e.Failures, f => f.StartsWith("SuricataSourceOptions does not make valid reader options:", StringComparison.Ordinal) && f.Contains("MaxLineLength", StringComparison.Ordinal));
    }

    [Fact]
    public void AddSuricata_passes_every_reader_option_on()
    {
        var services = new ServiceCollection();
        var path = Write("eve.json", Eve.Flow());
        services.AddPortMismatchDetection().AddSuricata(o =>
        {
            o.Files.Add(path);
            o.MaxLineLength = 100;
            o.IncludeReplies = true;
        });
        using var provider = services.BuildServiceProvider();

        var made = provider.GetRequiredService<IOptions<SuricataSourceOptions>>().Value.ToReaderOptions();

        Assert.Equal(new SuricataReaderOptions { MaxLineLength = 100, IncludeReplies = true }, made);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private sealed class Sink(List<MismatchRow> rows) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => rows.Add(row);
    }
}
