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
    public void A_missing_row_sink_is_named_in_the_error()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection();
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<DetectionPipeline>());
        Assert.Contains("IMismatchRowSink", e.Message, StringComparison.Ordinal);
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
