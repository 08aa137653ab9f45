using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Siem;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class SiemDetectionBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="SplunkHecSink"/> (resolvable as itself, for its <see cref="SplunkHecSink.Counters"/>) as the
    /// detection's <see cref="IMismatchRowSink"/>. <see cref="SplunkHecSinkOptions"/> are validated when the host starts: a
    /// missing URL or token fails the start with the setting's name (never the token's value). The container disposes the
    /// sink asynchronously, which flushes it. Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options (or bind them: <c>services.Configure&lt;SplunkHecSinkOptions&gt;(section)</c>).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another <see cref="IMismatchRowSink"/> is already registered: a second would be ignored.</exception>
    public static PortMismatchDetectionBuilder UseSplunkHec(this PortMismatchDetectionBuilder builder, Action<SplunkHecSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        _ = IsFirstSinkRegistration<SplunkHecSink>(services, nameof(UseSplunkHec), "the Splunk HEC sink");
        services.AddOptions<SplunkHecSinkOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SplunkHecSinkOptions>, SplunkHecSinkOptionsValidator>());
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<SplunkHecSinkOptions>>().Value;
            return new SplunkHecSink(options.ToOptions(options.ResolveToken()!) with
            {
                Logger = provider.GetService<ILoggerFactory>()?.CreateLogger<SplunkHecSink>(),
            });
        });
        services.TryAddSingleton<IMismatchRowSink>(static provider => provider.GetRequiredService<SplunkHecSink>());
        return builder;
    }

    /// <summary>Checks the options as the sink will use them; messages name the setting, never the token's value.</summary>
    private sealed class SplunkHecSinkOptionsValidator : IValidateOptions<SplunkHecSinkOptions>
    {
        public ValidateOptionsResult Validate(string? name, SplunkHecSinkOptions options)
        {
            const string Prefix = "SplunkHecSinkOptions.";
            var failures = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Url))
            {
                failures.Add($"{Prefix}Url is not set: give the collector's base URL (https://splunk.example:8088).");
            }
            else if (!Uri.TryCreate(options.Url, UriKind.Absolute, out _))
            {
                failures.Add($"{Prefix}Url '{options.Url}' is not an absolute URL (https://splunk.example:8088).");
            }

            if (options.Token is not null && options.TokenEnvironmentVariable is not null)
            {
                failures.Add($"{Prefix}Token and {Prefix}TokenEnvironmentVariable are both set: give one of them.");
            }
            else if (options.Token is null && options.TokenEnvironmentVariable is null)
            {
                failures.Add($"{Prefix}Token is not set: set it, or {Prefix}TokenEnvironmentVariable to the environment variable that holds the token.");
            }
            else if (options.Token is null && options.ResolveToken() is null)
            {
                failures.Add($"{Prefix}TokenEnvironmentVariable: the environment variable {options.TokenEnvironmentVariable} is not set or empty; it must hold the HEC token.");
            }

            if (failures.Count == 0)
            {
                // The same checks as the sink's constructor, on the values it will get.
                failures.AddRange(options.ToOptions(options.ResolveToken()!).Problems(Prefix));
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
