using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests.DependencyInjection;

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
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddZeek(o => o.Files.Add("/nonexistent/conn.log"));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("ZeekSourceOptions.Files: '/nonexistent/conn.log' does not exist.", e.Failures);
    }

    [Fact]
    public async Task AddZeek_passes_every_reader_option_on()
    {
        // Headerless input with a comma between fields, one record of another log, one line over 100 bytes, and a
        // speculative service: each is read as only the options given through AddZeek say.
        var fields = new[] { "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "speculative_service" };
        var path = Write("headerless.log", "1.0,10.0.0.1,1,10.0.0.2,22,tcp,-,http\n2.0,10.0.0.1,1,10.0.0.2,22,tcp,-,-" + new string(' ', 200) + "\n");
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new Sink([]));
        services.AddPortMismatchDetection().AddZeek(o =>
        {
            o.Files.Add(path);
            o.MaxLineLength = 100;
            o.IncludeSpeculativeService = true;
            o.AcceptAnyPath = true;
            o.FieldSeparator = ',';
            foreach (var field in fields)
            {
                o.FieldNames.Add(field);
            }
        });
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<ZeekSourceOptions>>().Value;

        var expected = new ZeekReaderOptions { MaxLineLength = 100, IncludeSpeculativeService = true, AcceptAnyPath = true, FieldSeparator = ',', FieldNames = fields };
        var made = options.ToReaderOptions();
        Assert.Equal(
            (expected.MaxLineLength, expected.IncludeSpeculativeService, expected.AcceptAnyPath, expected.FieldSeparator),
            (made.MaxLineLength, made.IncludeSpeculativeService, made.AcceptAnyPath, made.FieldSeparator));
        Assert.Equal(fields, made.FieldNames);

        var source = Assert.Single(provider.GetServices<IFlowSource>());
        var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([source], TestContext.Current.CancellationToken);
        Assert.Empty(result.Failures);
        Assert.Equal((2L, 1L, 1L), (result.Counters.Input.Read, result.Counters.Input.Accepted, result.Counters.Input.Rejected));
    }

    [Fact]
    public void No_field_names_is_a_header_required_as_by_default()
        => Assert.Null(new ZeekSourceOptions().ToReaderOptions().FieldNames);

    [Fact]
    public void Reader_options_that_cannot_be_read_fail_startup_validation()
    {
        var services = new ServiceCollection();
        var path = Write("c.log", ConnLog.GenerateTsv(1, 1));
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddZeek(o =>
        {
            o.Files.Add(path);
            o.FieldNames.Add("ts");
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("ZeekSourceOptions does not make valid reader options", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddZeek_reads_the_files_then_follows_the_directory_until_the_host_stops()
    {
        var archive = Write("conn.2026-12-01.log", ConnLog.GenerateTsv(100, 3));
        var live = Directory.CreateDirectory(Path.Combine(_directory, "current")).FullName;
        File.WriteAllText(Path.Combine(live, "conn.log"), ConnLog.GenerateTsv(50, 4).Replace(ConnLog.Close, string.Empty, StringComparison.Ordinal));
        var bookmark = Path.Combine(_directory, "zeek.bookmark.json");
        var rows = new List<MismatchRow>();
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new Sink(rows));
        services.AddPortMismatchDetection().AddZeek(o =>
        {
            o.Files.Add(archive);
            o.FollowDirectory = live;
            o.PollInterval = TimeSpan.FromMilliseconds(10);
            o.BookmarkPath = bookmark;
        });
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var source = Assert.Single(provider.GetServices<IFlowSource>());

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = provider.GetRequiredService<DetectionPipeline>().RunAsync([source], stop.Token);
        await Poll.UntilAsync(() => source.Counters.Accepted == 150, () => source.Counters.ToString());
        await stop.CancelAsync();
        var result = await run;

        Assert.Empty(result.Failures);
        Assert.Equal(150, result.Counters.Input.Accepted);
        Assert.True(result.Counters.Input.IsBalanced);
        Assert.True(File.Exists(bookmark), "the follower kept its place in the bookmark");
        Assert.NotEmpty(rows);
    }

    [Fact]
    public void Neither_files_nor_a_directory_and_a_missing_directory_fail_startup_validation_by_name()
    {
        static OptionsValidationException Fail(Action<ZeekSourceOptions> configure)
        {
            var services = new ServiceCollection();
            services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null));
            services.AddPortMismatchDetection().AddZeek(configure);
            using var provider = services.BuildServiceProvider();
            return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        }

        Assert.Contains(Fail(_ => { }).Failures, f => f.StartsWith("ZeekSourceOptions.Files is empty and FollowDirectory is not set", StringComparison.Ordinal));
        Assert.Contains("ZeekSourceOptions.FollowDirectory: '/nonexistent/logs' is not a directory.", Fail(o => o.FollowDirectory = "/nonexistent/logs").Failures);
        Assert.Contains(
            Fail(o => (o.FollowDirectory, o.PollInterval) = (_directory, TimeSpan.Zero)).Failures,
            f => f.StartsWith("ZeekSourceOptions does not make valid follow options", StringComparison.Ordinal) && f.Contains("PollInterval", StringComparison.Ordinal));
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
