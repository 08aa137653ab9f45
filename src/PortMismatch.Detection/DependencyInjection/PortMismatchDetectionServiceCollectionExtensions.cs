using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the detection in a service collection.</summary>
public static class PortMismatchDetectionServiceCollectionExtensions
{
    /// <summary>Registers the detection with the default options (the ESCU rules, no allow-list, no window).</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder for adding sources.</returns>
    public static PortMismatchDetectionBuilder AddPortMismatchDetection(this IServiceCollection services)
        => AddPortMismatchDetection(services, static _ => { });

    /// <summary>
    /// Registers the detection: <see cref="PortMismatchDetectionOptions"/> (validated when the host starts: the rules and the
    /// allow-list are loaded then, so a typo fails at startup with its file and JSON path), <see cref="DetectionPipelineOptions"/>,
    /// a singleton <see cref="DetectionPipeline"/> that writes to the registered <see cref="IMismatchRowSink"/>, reports on
    /// the host's <see cref="IMeterFactory"/> and closes idle windows by the registered <see cref="TimeProvider"/> (or the
    /// system clock), and <see cref="InputDiagnosticLog"/> for the sources' rejected records.
    /// Idempotent: calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for adding sources.</returns>
    public static PortMismatchDetectionBuilder AddPortMismatchDetection(this IServiceCollection services, Action<PortMismatchDetectionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PortMismatchDetectionOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortMismatchDetectionOptions>, PortMismatchDetectionOptionsValidator>());
        services.TryAddSingleton(static provider => CreatePipelineOptions(provider.GetRequiredService<IOptions<PortMismatchDetectionOptions>>().Value));
        services.TryAddSingleton(static provider => new InputDiagnosticLog(
            provider.GetService<ILoggerFactory>()?.CreateLogger<InputDiagnosticLog>() ?? NullLogger<InputDiagnosticLog>.Instance,
            provider.GetRequiredService<IOptions<PortMismatchDetectionOptions>>().Value.MaxLoggedRejectionsPerMinute,
            provider.GetService<TimeProvider>()));
        services.TryAddSingleton(static provider => new DetectionPipeline(
            provider.GetRequiredService<DetectionPipelineOptions>(),
            provider.GetService<IMismatchRowSink>() ?? throw new InvalidOperationException(
                "The detection pipeline has nowhere to write its rows: register an IMismatchRowSink (for example a JsonLinesRowWriter) in the service collection."),
            provider.GetService<IMeterFactory>(),
            provider.GetService<TimeProvider>()));
        return new PortMismatchDetectionBuilder(services);
    }

    private static DetectionPipelineOptions CreatePipelineOptions(PortMismatchDetectionOptions options) => new()
    {
        Rules = RuleSets.Parse(options.Rules),
        AllowList = options.AllowList is null ? AllowList.Empty : AllowListJson.Load(options.AllowList),
        Aggregation = AggregatorOptions.Default with
        {
            Window = options.Window,
            AllowedLateness = options.AllowedLateness,
            Grouping = options.Grouping,
            MaxGroups = options.MaxGroups,
            MaxOpenWindows = options.MaxOpenWindows,
        },
        MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
        IdleWindowClose = options.IdleWindowClose,
    };

    /// <summary>Checks the options the way the pipeline will use them, with messages that name the setting.</summary>
    private sealed class PortMismatchDetectionOptionsValidator : IValidateOptions<PortMismatchDetectionOptions>
    {
        public ValidateOptionsResult Validate(string? name, PortMismatchDetectionOptions options)
        {
            var failures = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Rules))
            {
                failures.Add("PortMismatchDetectionOptions.Rules is empty: give built-in set names (escu, extended, panos-appid) or rule-file paths, separated by commas.");
            }
            else
            {
                Try(failures, "Rules", options.Rules, () => RuleSets.Parse(options.Rules));
            }

            if (options.AllowList is not null)
            {
                Try(failures, "AllowList", options.AllowList, () => AllowListJson.Load(options.AllowList));
            }

            if (options.MaxDegreeOfParallelism is < 1)
            {
                failures.Add($"PortMismatchDetectionOptions.MaxDegreeOfParallelism is {options.MaxDegreeOfParallelism}; it must be at least 1 (or unset for the processor count).");
            }

            if (options.IdleWindowClose is { } idle && (idle < TimeSpan.Zero || options.Window is null))
            {
                failures.Add($"PortMismatchDetectionOptions.IdleWindowClose is {idle}; it must not be negative and needs a Window.");
            }

            if (options.MaxLoggedRejectionsPerMinute < 0)
            {
                failures.Add($"PortMismatchDetectionOptions.MaxLoggedRejectionsPerMinute is {options.MaxLoggedRejectionsPerMinute}; it must be 0 or more.");
            }

            try
            {
                _ = new MismatchAggregator(new MismatchEvaluator(RuleSet.Escu), NullRowSink.Instance, AggregatorOptions.Default with
                {
                    Window = options.Window,
                    AllowedLateness = options.AllowedLateness,
                    Grouping = options.Grouping,
                    MaxGroups = options.MaxGroups,
                    MaxOpenWindows = options.MaxOpenWindows,
                });
            }
            catch (ArgumentException e)
            {
                failures.Add($"PortMismatchDetectionOptions (Window, AllowedLateness, Grouping, MaxGroups, MaxOpenWindows): {e.Message}");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static void Try(List<string> failures, string setting, string value, Action load)
        {
            try
            {
                load();
            }
            catch (Exception e) when (e is ConfigurationFormatException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"PortMismatchDetectionOptions.{setting} '{value}': {e.Message}");
            }
        }
    }

    private sealed class NullRowSink : IMismatchRowSink
    {
        public static readonly NullRowSink Instance = new();

        public void OnRow(MismatchRow row)
        {
        }
    }
}
