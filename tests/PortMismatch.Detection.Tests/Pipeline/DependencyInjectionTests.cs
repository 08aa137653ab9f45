using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.Tests.Pipeline;

public sealed class DependencyInjectionTests
{
    [Fact]
    public void Registering_twice_registers_each_service_once_and_applies_both_configurations()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowCollector());
        var builder = services.AddPortMismatchDetection(o => o.Rules = "extended");
        services.AddPortMismatchDetection(o => o.Window = TimeSpan.FromMinutes(5));

        Assert.Same(services, builder.Services);
        Assert.Single(services, d => d.ServiceType == typeof(DetectionPipeline));
        Assert.Single(services, d => d.ServiceType == typeof(DetectionPipelineOptions));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<PortMismatchDetectionOptions>));

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<DetectionPipelineOptions>();
        Assert.Equal(RuleSet.Extended.Count, options.Rules.Count);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Aggregation.Window);
        Assert.Same(provider.GetRequiredService<DetectionPipeline>(), provider.GetRequiredService<DetectionPipeline>());
    }

    [Theory]
    [InlineData("escu")]
    [InlineData("panos-appid")]
    [InlineData("extended,panos-appid")]
    public void Rule_sets_are_chosen_by_name(string rules)
    {
        using var provider = Provider(o => o.Rules = rules);
        Assert.Equal(RuleSets.Parse(rules).Select(r => r.Id), provider.GetRequiredService<DetectionPipelineOptions>().Rules.Select(r => r.Id));
    }

    [Fact]
    public void Bad_options_fail_at_startup_with_messages_naming_the_setting()
    {
        using var provider = Provider(o =>
        {
            o.Rules = "escu,no-such-set";
            o.AllowList = "/nonexistent/allow.json";
            o.MaxDegreeOfParallelism = 0;
            o.Window = TimeSpan.FromSeconds(-1);
        });

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var message = string.Join("\n", e.Failures);
        Assert.Contains("PortMismatchDetectionOptions.Rules 'escu,no-such-set'", message, StringComparison.Ordinal);
        Assert.Contains("no-such-set", message, StringComparison.Ordinal);
        Assert.Contains("PortMismatchDetectionOptions.AllowList '/nonexistent/allow.json'", message, StringComparison.Ordinal);
        Assert.Contains("MaxDegreeOfParallelism is 0", message, StringComparison.Ordinal);
        Assert.Contains("Window", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_window_bound_below_one_fails_at_startup_naming_it()
    {
        using var provider = Provider(o => o.MaxOpenWindows = 0);
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("MaxOpenWindows is 0", string.Join("\n", e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Good_options_pass_startup_validation()
    {
        using var provider = Provider(o => o.Rules = "escu");
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void A_missing_row_sink_fails_at_startup_and_on_resolving_the_pipeline_naming_the_interface()
    {
        // Options validation asks the container, so a host stops at its start, before any source opens a socket.
        var services = new ServiceCollection();
        services.AddPortMismatchDetection();
        using var provider = services.BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("No IMismatchRowSink is registered", Assert.Single(atStart.Failures), StringComparison.Ordinal);
        var onResolve = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<DetectionPipeline>());
        Assert.Equal(atStart.Failures, onResolve.Failures);
    }

    [Fact]
    public void Rules_and_an_allow_list_built_in_code_reach_the_pipeline()
    {
        var rules = new RuleSet([new DetectionRule("dns-5300", "DNS off 53 and 5300", ["dns"], PortSet.Parse("53, 5300"))]);
        var allow = new AllowList([new AllowListEntry("printers speak mDNS") { App = "dns", DestinationPorts = PortSet.Parse("5353") }]);
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowCollector());
        services.AddPortMismatchDetection().UseRules(rules).UseAllowList(allow);

        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var pipeline = provider.GetRequiredService<DetectionPipeline>();
        Assert.Same(rules, pipeline.Options.Rules);
        Assert.Same(allow, pipeline.Options.AllowList);
    }

    [Fact]
    public void Rule_and_allow_list_factories_read_the_containers_services_and_the_last_call_wins()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowCollector());
        services.AddSingleton(new RuleStore(RuleSet.Extended));
        services.AddPortMismatchDetection()
            .UseRules(RuleSet.Escu)
            .UseRules(provider => provider.GetRequiredService<RuleStore>().Rules)
            .UseAllowList(_ => AllowList.Empty);

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<DetectionPipelineOptions>();
        Assert.Same(RuleSet.Extended, options.Rules);
        Assert.Same(AllowList.Empty, options.AllowList);
    }

    [Fact]
    public void Rules_given_both_by_name_and_in_code_fail_at_startup_naming_both()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowCollector());
        services.AddPortMismatchDetection(o =>
        {
            o.Rules = "extended";
            o.AllowList = "allow.json";
        })
            .UseRules(RuleSet.Escu)
            .UseAllowList(AllowList.Empty);
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Equal(2, e.Failures.Count());
        Assert.Contains("PortMismatchDetectionOptions.Rules is 'extended' and rules are also given in code (UseRules)", e.Message, StringComparison.Ordinal);
        Assert.Contains("PortMismatchDetectionOptions.AllowList is 'allow.json' and an allow-list is also given in code (UseAllowList)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_rules_by_name_or_in_code_the_pipeline_detects_with_escu()
    {
        using var provider = Provider(_ => { });
        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Same(RuleSet.Escu, provider.GetRequiredService<DetectionPipelineOptions>().Rules);
    }

    [Fact]
    public void A_rule_factory_that_returns_null_is_named_when_the_pipeline_is_built()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowCollector());
        services.AddPortMismatchDetection().UseRules(_ => null!);
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<DetectionPipeline>());
        Assert.Contains("UseRules returned null", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_diagnostic_log_logs_a_quota_per_minute_then_says_how_many_it_left_out()
    {
        var logger = new ListLogger();
        var clock = new ManualClock();
        var log = new InputDiagnosticLog(logger, maxPerMinute: 3, clock);
        var diagnostic = new InputDiagnostic(RecordOutcome.Rejected, "bad-port", "dest_port 99999 is out of range", "conn.log", 7, 300);

        for (var i = 0; i < 10; i++)
        {
            log.Report(diagnostic);
        }

        Assert.Equal(3, logger.Lines.Count);
        Assert.All(logger.Lines, l => Assert.Contains("conn.log", l, StringComparison.Ordinal));
        Assert.Equal(7, log.Suppressed);

        clock.Advance(TimeSpan.FromSeconds(61));
        log.Report(diagnostic);
        Assert.Equal(5, logger.Lines.Count);
        Assert.Contains("7 more input diagnostics", logger.Lines[3], StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Action<PortMismatchDetectionOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new RowCollector());
        services.AddPortMismatchDetection(configure);
        return services.BuildServiceProvider();
    }

    private sealed record RuleStore(RuleSet Rules);

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Lines.Add(formatter(state, exception));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
