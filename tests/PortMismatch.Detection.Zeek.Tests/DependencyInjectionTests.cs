using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests;

public sealed class DependencyInjectionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pm-zeek-di-").FullName;

    [Fact]
    public async Task AddZeek_reads_the_configured_files_through_the_pipeline()
    {
        var first = Write("a.log", ConnLog.GenerateTsv(300, 1));
        var second = Write("b.log", ConnLog.GenerateJson(200, 2));
        var rows = new List<MismatchRow>();
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new Sink(rows));
        services.AddPortMismatchDetection().AddZeek(o => o.Files.Add(first)).AddZeek(o => o.Files.Add(second));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var source = Assert.Single(provider.GetServices<IFlowSource>());
        var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([source], TestContext.Current.CancellationToken);

        // The same files read directly into one aggregator.
        var expected = new List<MismatchRow>();
        var aggregator = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), new Sink(expected));
        var a = await ZeekConnInput.ReadFileAsync(first, aggregator, cancellationToken: TestContext.Current.CancellationToken);
        var b = await ZeekConnInput.ReadFileAsync(second, aggregator, cancellationToken: TestContext.Current.CancellationToken);
        aggregator.Complete();

        Assert.Empty(result.Failures);
        Assert.Equal(a.Read + b.Read, result.Counters.Input.Read);
        Assert.Equal(500, result.Counters.Input.Accepted);
        Assert.NotEmpty(rows);
        Assert.Equal(expected.Count, rows.Count);
        Assert.Equal(expected.Sum(r => (long)r.Count), rows.Sum(r => (long)r.Count));
    }

    [Fact]
    public void Missing_files_fail_startup_validation_by_name()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().AddZeek(o => o.Files.Add("/nonexistent/conn.log"));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("ZeekSourceOptions.Files: '/nonexistent/conn.log' does not exist.", e.Failures);
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
