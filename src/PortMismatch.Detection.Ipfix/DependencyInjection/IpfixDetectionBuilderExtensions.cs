using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Ipfix;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the IPFIX / NetFlow v9 source to the detection.</summary>
public static class IpfixDetectionBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="IFlowSource"/> that reads <see cref="IpfixSourceOptions.Files"/> and then runs a UDP collector on
    /// <see cref="IpfixSourceOptions.ListenEndPoint"/> until the run is cancelled; rejected records go to <see cref="InputDiagnosticLog"/>.
    /// The collector's clock is the registered <see cref="TimeProvider"/>, or <see cref="TimeProvider.System"/>. The options are
    /// validated when the host starts. Idempotent: calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static PortMismatchDetectionBuilder AddIpfix(this PortMismatchDetectionBuilder builder, Action<IpfixSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<IpfixSourceOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IpfixSourceOptions>, Validator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowSource, IpfixSource>(static provider => IpfixSource.Create(
            provider.GetRequiredService<IOptions<IpfixSourceOptions>>().Value, provider.GetRequiredService<InputDiagnosticLog>(), provider.GetService<TimeProvider>())));
        return builder;
    }

    /// <summary>The registered source: the files, each with its own decoder, then the collector, with the same reader options.</summary>
    private sealed class IpfixSource(IFlowSource inner, IDisposable? collector) : IFlowSource, IDisposable
    {
        public string Name => inner.Name;

        public InputCounters Counters => inner.Counters;

        public static IpfixSource Create(IpfixSourceOptions options, InputDiagnosticLog log, TimeProvider? timeProvider)
        {
            var parts = new List<IFlowSource>();
            var readerOptions = options.ToReaderOptions();
            foreach (var file in options.Files)
            {
                parts.Add(IpfixInput.FileSource(file, readerOptions, log.Report));
            }

            IpfixUdpCollector? collector = null;
            if (options.ListenEndPoint is { } listen)
            {
                collector = new IpfixUdpCollector(IPEndPoint.Parse(listen), readerOptions, log.Report, options.ReceiveBufferSize, timeProvider);
                parts.Add(collector);
            }

            return new IpfixSource(FlowSource.Concat(collector is null ? "ipfix files" : $"ipfix udp://{collector.LocalEndPoint}", parts), collector);
        }

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken) => inner.ReadAsync(sink, cancellationToken);

        public void Dispose() => collector?.Dispose();
    }

    private sealed class Validator : IValidateOptions<IpfixSourceOptions>
    {
        public ValidateOptionsResult Validate(string? name, IpfixSourceOptions options)
        {
            var failures = new List<string>();
            if (options.ListenEndPoint is { } listen && !IPEndPoint.TryParse(listen, out _))
            {
                failures.Add($"IpfixSourceOptions.ListenEndPoint '{listen}' is not an address and port (0.0.0.0:4739, [::]:4739).");
            }

            if (options.ReceiveBufferSize <= 0)
            {
                failures.Add($"IpfixSourceOptions.ReceiveBufferSize is {options.ReceiveBufferSize}; it must be positive.");
            }

            if (options.MaxClockSkew < TimeSpan.Zero)
            {
                failures.Add($"IpfixSourceOptions.MaxClockSkew is {options.MaxClockSkew}; it must not be negative.");
            }

            if (options.TemplateLifetime <= TimeSpan.Zero && options.TemplateLifetime != Timeout.InfiniteTimeSpan)
            {
                failures.Add($"IpfixSourceOptions.TemplateLifetime is {options.TemplateLifetime}; it must be positive, or Timeout.InfiniteTimeSpan for templates that never expire.");
            }

            if (options.DirectionRulesFile is { } rules)
            {
                if (!File.Exists(rules))
                {
                    failures.Add($"IpfixSourceOptions.DirectionRulesFile: '{rules}' does not exist.");
                }
                else
                {
                    try
                    {
                        _ = RuleSetJson.Load(rules);
                    }
                    catch (ConfigurationFormatException e)
                    {
                        failures.Add($"IpfixSourceOptions.DirectionRulesFile: {e.Message}");
                    }
                }
            }

            foreach (var file in options.Files)
            {
                if (!File.Exists(file))
                {
                    failures.Add($"IpfixSourceOptions.Files: '{file}' does not exist.");
                }
            }

            if (options.ListenEndPoint is null && options.Files.Count == 0)
            {
                failures.Add("IpfixSourceOptions: set ListenEndPoint (a UDP address and port) or Files, or both.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
