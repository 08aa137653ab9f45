using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.Ipfix.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddIpfix_reads_export_files_through_the_pipeline()
    {
        var data = new List<byte>();
        for (var i = 0; i < 25; i++)
        {
            data.AddRange(DecoderTests.V4Record("10.0.0.1", "10.0.0.2", 50000 + i, 443));
        }

        var path = Path.Combine(Path.GetTempPath(), $"pm-ipfix-di-{Guid.NewGuid():N}.ipfix");
        await File.WriteAllBytesAsync(path, new IpfixBuilder().Template(256, DecoderTests.V4Fields).Data(256, [.. data]).Build(), TestContext.Current.CancellationToken);
        try
        {
            var services = new ServiceCollection();
            services.AddSingleton<IMismatchRowSink>(new NoRows());
            services.AddPortMismatchDetection().AddIpfix(o => o.Files.Add(path)).AddIpfix();
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();

            var source = Assert.Single(provider.GetServices<IFlowSource>());
            var result = await provider.GetRequiredService<DetectionPipeline>().RunAsync([source], TestContext.Current.CancellationToken);

            Assert.Empty(result.Failures);
            Assert.Equal(25, result.Counters.Input.Accepted);
            Assert.True(result.Counters.Input.IsBalanced);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddIpfix_without_an_endpoint_or_files_fails_startup_validation()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddIpfix(o =>
        {
            o.ReceiveBufferSize = 0;
            o.MaxClockSkew = TimeSpan.FromMinutes(-1);
            o.TemplateLifetime = TimeSpan.Zero;
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.Contains("set ListenEndPoint", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.ReceiveBufferSize is 0", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.MaxClockSkew is -00:01:00", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.TemplateLifetime is 00:00:00; it must be positive", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_reader_option_is_a_source_option_of_the_same_name_and_default()
    {
        var readerOptions = typeof(IpfixReaderOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != "EqualityContract").Select(p => p.Name);
        var sourceOptions = typeof(IpfixSourceOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet();

        // DirectionRules (a RuleSet, which configuration cannot hold) is given as a rule file.
        var missing = readerOptions.Where(name => !sourceOptions.Contains(name == nameof(IpfixReaderOptions.DirectionRules) ? nameof(IpfixSourceOptions.DirectionRulesFile) : name)).ToList();
        Assert.True(missing.Count == 0, $"not in IpfixSourceOptions: {string.Join(", ", missing)}");
        Assert.Equal(IpfixReaderOptions.Default, new IpfixSourceOptions().ToReaderOptions());
    }

    [Fact]
    public void Source_options_reach_the_reader_and_direction_rules_load_from_a_file()
    {
        var rules = Path.Combine(Path.GetTempPath(), $"pm-ipfix-rules-{Guid.NewGuid():N}.json");
        var dns = new RuleSet(RuleSet.Escu.Where(r => r.Apps.Contains("dns")));
        File.WriteAllText(rules, RuleSetJson.ToJson(dns));
        try
        {
            var options = new IpfixSourceOptions
            {
                IncludeReplies = true,
                DirectionRulesFile = rules,
                EphemeralPortStart = 32768,
                EphemeralPortEnd = 60999,
                ReversePairingCapacity = 0,
                MaxPendingBytes = 8192,
                MaxPendingBytesPerExporter = 1000,
                MaxDomains = 7,
                MaxTemplateBytes = 1 << 20,
                TemplateLifetime = TimeSpan.FromMinutes(30),
            }.ToReaderOptions();

            Assert.True(options.IncludeReplies);
            Assert.Equal(dns.Count, options.DirectionRules.Count);
            Assert.Equal((32768, 60999, 0), (options.EphemeralPortStart, options.EphemeralPortEnd, options.ReversePairingCapacity));
            Assert.Equal((8192, 1000, 7, 1L << 20), (options.MaxPendingBytes, options.MaxPendingBytesPerExporter, options.MaxDomains, options.MaxTemplateBytes));
            Assert.Equal(TimeSpan.FromMinutes(30), options.TemplateLifetime);
            Assert.Equal(2048, new IpfixSourceOptions { MaxPendingBytes = 8192 }.ToReaderOptions().MaxPendingBytesPerExporter); // a quarter, as the reader's default
        }
        finally
        {
            File.Delete(rules);
        }
    }

    [Fact]
    public void A_missing_direction_rules_file_fails_startup_validation()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddIpfix(o =>
        {
            o.ListenEndPoint = "127.0.0.1:0";
            o.DirectionRulesFile = "/nonexistent/rules.json";
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("IpfixSourceOptions.DirectionRulesFile: '/nonexistent/rules.json' does not exist", StringComparison.Ordinal));
    }

    private sealed class NoRows : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => Assert.Fail($"unexpected row {row}");
    }
}
