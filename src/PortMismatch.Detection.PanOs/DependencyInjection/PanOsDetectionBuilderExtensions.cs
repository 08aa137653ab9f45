using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.PanOs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the PAN-OS TRAFFIC source to the detection.</summary>
public static class PanOsDetectionBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="IFlowSource"/> that reads <see cref="PanOsSourceOptions.Files"/> and then runs a syslog UDP
    /// collector on <see cref="PanOsSourceOptions.ListenEndPoint"/> until the run is cancelled; rejected lines go to
    /// <see cref="InputDiagnosticLog"/>. The collector's clock is the registered <see cref="TimeProvider"/>, or
    /// <see cref="TimeProvider.System"/>. The reader options of <see cref="PanOsSourceOptions"/> apply to the files and the
    /// collector alike (<see cref="PanOsReaderOptions.MaxClockSkew"/> to the collector only). The options are validated when
    /// the host starts. Idempotent: calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static PortMismatchDetectionBuilder AddPanOs(this PortMismatchDetectionBuilder builder, Action<PanOsSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PanOsSourceOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PanOsSourceOptions>, Validator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowSource, PanOsSource>(static provider => PanOsSource.Create(
            provider.GetRequiredService<IOptions<PanOsSourceOptions>>().Value, provider.GetRequiredService<InputDiagnosticLog>(), provider.GetService<TimeProvider>())));
        return builder;
    }

    private sealed class PanOsSource(IFlowSource inner, IDisposable? collector) : IFlowSource, IDisposable
    {
        public string Name => inner.Name;

        public InputCounters Counters => inner.Counters;

        public static PanOsSource Create(PanOsSourceOptions options, InputDiagnosticLog log, TimeProvider? timeProvider)
        {
            var readerOptions = ReaderOptions(options);
            var parts = options.Files.Select(file => PanOsTrafficInput.FileSource(file, readerOptions, log.Report)).ToList();
            PanOsSyslogUdpCollector? collector = null;
            if (options.ListenEndPoint is { } listen)
            {
                collector = new PanOsSyslogUdpCollector(IPEndPoint.Parse(listen), readerOptions, log.Report, options.ReceiveBufferSize, timeProvider);
                parts.Add(collector);
            }

            return new PanOsSource(FlowSource.Concat(collector is null ? "pan-os files" : collector.Name, parts), collector);
        }

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken) => inner.ReadAsync(sink, cancellationToken);

        // Every reader option, under the same name.
        private static PanOsReaderOptions ReaderOptions(PanOsSourceOptions options) => PanOsReaderOptions.Default with
        {
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone),
            Subtypes = options.Subtypes,
            UseNatDestination = options.UseNatDestination,
            MaxLineLength = options.MaxLineLength,
            MaxClockSkew = options.MaxClockSkew,
        };

        public void Dispose() => collector?.Dispose();
    }

    private sealed class Validator : IValidateOptions<PanOsSourceOptions>
    {
        public ValidateOptionsResult Validate(string? name, PanOsSourceOptions options)
        {
            var failures = new List<string>();
            if (options.ListenEndPoint is { } listen && !IPEndPoint.TryParse(listen, out _))
            {
                failures.Add($"PanOsSourceOptions.ListenEndPoint '{listen}' is not an address and port (0.0.0.0:514, [::]:514).");
            }

            if (options.ReceiveBufferSize <= 0)
            {
                failures.Add($"PanOsSourceOptions.ReceiveBufferSize is {options.ReceiveBufferSize}; it must be positive.");
            }

            if (options.MaxLineLength is < PanOsReaderOptions.MinMaxLineLength or > PanOsReaderOptions.MaxMaxLineLength)
            {
                failures.Add($"PanOsSourceOptions.MaxLineLength is {options.MaxLineLength}; it must lie in {PanOsReaderOptions.MinMaxLineLength}..{PanOsReaderOptions.MaxMaxLineLength}.");
            }

            if (options.MaxClockSkew < TimeSpan.Zero)
            {
                failures.Add($"PanOsSourceOptions.MaxClockSkew is {options.MaxClockSkew}; it must not be negative.");
            }

            if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone ?? string.Empty, out _))
            {
                failures.Add($"PanOsSourceOptions.TimeZone '{options.TimeZone}' is not a time zone id this system knows (for example UTC, Europe/Berlin).");
            }

            foreach (var file in options.Files)
            {
                if (!File.Exists(file))
                {
                    failures.Add($"PanOsSourceOptions.Files: '{file}' does not exist.");
                }
            }

            if (options.ListenEndPoint is null && options.Files.Count == 0)
            {
                failures.Add("PanOsSourceOptions: set ListenEndPoint (a UDP address and port) or Files, or both.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
