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
    /// allow-list are loaded then, so a typo fails at startup with its file and JSON path, and so does a missing
    /// <see cref="IMismatchRowSink"/>), <see cref="DetectionPipelineOptions"/>, a singleton <see cref="DetectionPipeline"/>
    /// that writes to the registered <see cref="IMismatchRowSink"/>, reports on the host's <see cref="IMeterFactory"/> and
    /// closes idle windows by the registered <see cref="TimeProvider"/> (or the system clock), and
    /// <see cref="InputDiagnosticLog"/> for the sources' rejected records. Rules and an allow-list built in code are given
    /// with the builder's <see cref="PortMismatchDetectionBuilder.UseRules(RuleSet)"/> and
    /// <see cref="PortMismatchDetectionBuilder.UseAllowList(AllowList)"/>.
    /// Idempotent: calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for adding sources, rules and an allow-list.</returns>
    /// <exception cref="OptionsValidationException">
    /// When the host starts (or the options or the pipeline are first resolved without a host): a setting is invalid, a
    /// rule or allow-list file cannot be loaded, rules or an allow-list are given both in the options and in code, or no
    /// <see cref="IMismatchRowSink"/> is registered. The message names each setting.
    /// </exception>
    public static PortMismatchDetectionBuilder AddPortMismatchDetection(this IServiceCollection services, Action<PortMismatchDetectionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PortMismatchDetectionOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortMismatchDetectionOptions>, PortMismatchDetectionOptionsValidator>());
        services.TryAddSingleton(static provider => CreatePipelineOptions(provider));
        services.TryAddSingleton(static provider => new InputDiagnosticLog(
            provider.GetService<ILoggerFactory>()?.CreateLogger<InputDiagnosticLog>() ?? NullLogger<InputDiagnosticLog>.Instance,
            provider.GetRequiredService<IOptions<PortMismatchDetectionOptions>>().Value.MaxLoggedRejectionsPerMinute,
            provider.GetService<TimeProvider>()));
        services.TryAddSingleton(static provider => new DetectionPipeline(
            provider.GetRequiredService<DetectionPipelineOptions>(),
            provider.GetService<IMismatchRowSink>() ?? throw new InvalidOperationException(NoSink),
            provider.GetService<IMeterFactory>(),
            provider.GetService<TimeProvider>()));
        return new PortMismatchDetectionBuilder(services);
    }

    private const string NoSink =
        "No IMismatchRowSink is registered: the detection has nowhere to write its rows. Register one in the service collection, "
        + "for example services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(File.Create(\"findings.jsonl\"))).";

    private static DetectionPipelineOptions CreatePipelineOptions(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<PortMismatchDetectionOptions>>().Value;
        return new()
        {
            Rules = provider.GetService<RulesFromCode>() is { } rules ? rules.Create(provider) : RuleSets.Parse(options.Rules ?? RuleSets.EscuName),
            AllowList = provider.GetService<AllowListFromCode>() is { } allow ? allow.Create(provider)
                : options.AllowList is null ? AllowList.Empty : AllowLists.Parse(options.AllowList),
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
            FirstSeen = provider.GetService<FirstSeenFromCode>() is { } seen ? provider.GetRequiredService<FirstSeenStore>() : null,
            SuppressSeenOnDays = provider.GetService<FirstSeenFromCode>()?.SuppressSeenOnDays,
        };
    }

    /// <summary>Checks the options the way the pipeline will use them, with messages that name the setting.</summary>
    private sealed class PortMismatchDetectionOptionsValidator(IServiceProvider services) : IValidateOptions<PortMismatchDetectionOptions>
    {
        public ValidateOptionsResult Validate(string? name, PortMismatchDetectionOptions options)
        {
            var failures = new List<string>();
            var rulesInCode = services.GetService<RulesFromCode>() is not null;
            if (options.Rules is not null && rulesInCode)
            {
                failures.Add($"PortMismatchDetectionOptions.Rules is '{options.Rules}' and rules are also given in code (UseRules): set one of them.");
            }
            else if (options.Rules is not null && string.IsNullOrWhiteSpace(options.Rules))
            {
                failures.Add("PortMismatchDetectionOptions.Rules is empty: give built-in set names (escu, extended, panos-appid) or rule-file paths, separated by commas.");
            }
            else if (options.Rules is not null)
            {
                Try(failures, "Rules", options.Rules, () => RuleSets.Parse(options.Rules));
            }

            if (options.AllowList is not null && services.GetService<AllowListFromCode>() is not null)
            {
                failures.Add($"PortMismatchDetectionOptions.AllowList is '{options.AllowList}' and an allow-list is also given in code (UseAllowList): set one of them.");
            }
            else if (options.AllowList is not null)
            {
                Try(failures, "AllowList", options.AllowList, () => AllowLists.Parse(options.AllowList));
            }

            // Asked of the container, not resolved: the sink is built when the pipeline is, not by a validation.
            if (services.GetService<IServiceProviderIsService>() is { } registered && !registered.IsService(typeof(IMismatchRowSink)))
            {
                failures.Add(NoSink);
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
