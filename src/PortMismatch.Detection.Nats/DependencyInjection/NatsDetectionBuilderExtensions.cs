using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using PortMismatch.Detection;
using PortMismatch.Detection.Nats;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the NATS JetStream flow-stream source to the detection.</summary>
public static class NatsDetectionBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="IFlowSource"/> that reads a flow stream in this process (a <see cref="NatsFlowSource"/> on a
    /// connection of its own to <see cref="NatsSourceOptions.Url"/>, made when reading starts and closed when it ends);
    /// rejected records go to <see cref="InputDiagnosticLog"/>. The options are validated when the host starts.
    /// Idempotent: calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static PortMismatchDetectionBuilder AddNats(this PortMismatchDetectionBuilder builder, Action<NatsSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<NatsSourceOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NatsSourceOptions>, Validator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowSource, NatsSource>(static provider => new NatsSource(
            provider.GetRequiredService<IOptions<NatsSourceOptions>>().Value, provider.GetRequiredService<InputDiagnosticLog>())));
        return builder;
    }

    private sealed class NatsSource(NatsSourceOptions options, InputDiagnosticLog log) : IFlowSource
    {
        private NatsFlowSource? _inner;

        public string Name => $"nats:{options.Stream}";

        public InputCounters Counters => Volatile.Read(ref _inner)?.Counters ?? new InputCounters();

        public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
        {
            await using var connection = new NatsConnection(NatsOpts.Default with { Url = options.Url!, Name = "portmismatch" });
            var source = new NatsFlowSource(new NatsJSContext(connection), options.ToSourceOptions(), log.Report);
            Volatile.Write(ref _inner, source);
            await source.ReadAsync(sink, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Validator : IValidateOptions<NatsSourceOptions>
    {
        public ValidateOptionsResult Validate(string? name, NatsSourceOptions options)
        {
            var failures = new List<string>();
            if (string.IsNullOrWhiteSpace(options.Url))
            {
                failures.Add("NatsSourceOptions.Url is not set: give the NATS server's URL (nats://host:4222), or several separated by commas.");
            }

            if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.PanOsTimeZone ?? string.Empty, out _))
            {
                failures.Add($"NatsSourceOptions.PanOsTimeZone '{options.PanOsTimeZone}' is not a time zone id this system knows (for example UTC, Europe/Berlin).");
            }
            else
            {
                try
                {
                    _ = options.ToSourceOptions().Validate();
                }
                catch (ArgumentException e)
                {
                    failures.Add($"NatsSourceOptions: {e.Message}");
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
