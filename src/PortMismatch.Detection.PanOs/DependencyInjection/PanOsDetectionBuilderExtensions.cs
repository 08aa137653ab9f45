using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.PanOs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the PAN-OS TRAFFIC source to the detection.</summary>
public static class PanOsDetectionBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="IFlowSource"/> that reads <see cref="PanOsSourceOptions.Files"/> and then runs the syslog
    /// collectors given, all at once, until the run is cancelled: UDP on <see cref="PanOsSourceOptions.ListenEndPoint"/>,
    /// TCP on <see cref="PanOsSourceOptions.TcpListenEndPoint"/>, TLS on <see cref="PanOsSourceOptions.TlsListenEndPoint"/>
    /// (the certificate and key from PEM files); rejected lines go to
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

    private sealed class PanOsSource(IFlowSource inner, List<IDisposable> collectors) : IFlowSource, IDisposable
    {
        public string Name => inner.Name;

        public InputCounters Counters => inner.Counters;

        public static PanOsSource Create(PanOsSourceOptions options, InputDiagnosticLog log, TimeProvider? timeProvider)
        {
            var readerOptions = ReaderOptions(options);
            var parts = options.Files.Select(file => PanOsTrafficInput.FileSource(file, readerOptions, log.Report)).ToList();
            var live = new List<IFlowSource>();
            var collectors = new List<IDisposable>();
            try
            {
                if (options.ListenEndPoint is { } listen)
                {
                    Add(new PanOsSyslogUdpCollector(IPEndPoint.Parse(listen), readerOptions, log.Report, options.ReceiveBufferSize, timeProvider));
                }

                if (options.TcpListenEndPoint is { } tcp)
                {
                    Add(new PanOsSyslogTcpCollector(IPEndPoint.Parse(tcp), ConnectionOptions(options, certificate: null), readerOptions, log.Report, timeProvider));
                }

                if (options.TlsListenEndPoint is { } tls)
                {
                    var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertificatePath!, options.TlsKeyPath);
                    collectors.Add(certificate);
                    Add(new PanOsSyslogTcpCollector(IPEndPoint.Parse(tls), ConnectionOptions(options, certificate), readerOptions, log.Report, timeProvider));
                }
            }
            catch
            {
                collectors.ForEach(static c => c.Dispose());
                throw;
            }

            if (live.Count > 0)
            {
                parts.Add(live.Count == 1 ? live[0] : new AllAtOnce(string.Join(" and ", live.Select(static s => s.Name)), [.. live]));
            }

            return new PanOsSource(FlowSource.Concat(live.Count == 0 ? "pan-os files" : parts[^1].Name, parts), collectors);

            void Add<T>(T collector)
                where T : IFlowSource, IDisposable
            {
                collectors.Add(collector);
                live.Add(collector);
            }
        }

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken) => inner.ReadAsync(sink, cancellationToken);

        private static PanOsSyslogTcpOptions ConnectionOptions(PanOsSourceOptions options, X509Certificate2? certificate) => PanOsSyslogTcpOptions.Default with
        {
            Certificate = certificate,
            MaxConnections = options.MaxConnections,
            IdleTimeout = options.IdleTimeout,
        };

        // Every reader option, under the same name.
        private static PanOsReaderOptions ReaderOptions(PanOsSourceOptions options) => PanOsReaderOptions.Default with
        {
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone),
            Subtypes = options.Subtypes,
            UseNatDestination = options.UseNatDestination,
            MaxLineLength = options.MaxLineLength,
            MaxClockSkew = options.MaxClockSkew,
        };

        public void Dispose() => collectors.ForEach(static c => c.Dispose());
    }

    /// <summary>Live collectors run at once into one sink, which is called on one thread at a time as <see cref="IFlowSource"/> promises.</summary>
    private sealed class AllAtOnce(string name, IFlowSource[] parts) : IFlowSource
    {
        public string Name => name;

        public InputCounters Counters
        {
            get
            {
                var sum = new InputCounters();
                foreach (var part in parts)
                {
                    sum.Add(part.Counters);
                }

                return sum;
            }
        }

        public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(sink);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var locked = new LockedSink(sink);
            var reads = parts.Select(part => ReadOneAsync(part, locked, stop)).ToArray();
            await Task.WhenAll(reads).ConfigureAwait(false);
        }

        // One that fails stops the others; Task.WhenAll then throws the first failure.
        private static async Task ReadOneAsync(IFlowSource part, IFlowRecordSink sink, CancellationTokenSource stop)
        {
            try
            {
                await part.ReadAsync(sink, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        public override string ToString() => name;
    }

    private sealed class LockedSink(IFlowRecordSink inner) : IFlowRecordSink
    {
        private readonly object _lock = new();

        public void OnRecord(in FlowRecord record)
        {
            lock (_lock)
            {
                inner.OnRecord(record);
            }
        }
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

            ValidateTcp(options, failures);
            if (options.ListenEndPoint is null && options.TcpListenEndPoint is null && options.TlsListenEndPoint is null && options.Files.Count == 0)
            {
                failures.Add("PanOsSourceOptions: set ListenEndPoint (UDP), TcpListenEndPoint, TlsListenEndPoint or Files.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static void ValidateTcp(PanOsSourceOptions options, List<string> failures)
        {
            foreach (var (name, value) in new[] { ("TcpListenEndPoint", options.TcpListenEndPoint), ("TlsListenEndPoint", options.TlsListenEndPoint) })
            {
                if (value is not null && !IPEndPoint.TryParse(value, out _))
                {
                    failures.Add($"PanOsSourceOptions.{name} '{value}' is not an address and port (0.0.0.0:514, [::]:6514).");
                }
            }

            if (options.MaxConnections < 1)
            {
                failures.Add($"PanOsSourceOptions.MaxConnections is {options.MaxConnections}; it must be at least 1.");
            }

            if (options.IdleTimeout <= TimeSpan.Zero)
            {
                failures.Add($"PanOsSourceOptions.IdleTimeout is {options.IdleTimeout}; it must be positive.");
            }

            if (options.TlsListenEndPoint is null)
            {
                if (options.TlsCertificatePath is not null || options.TlsKeyPath is not null)
                {
                    failures.Add("PanOsSourceOptions.TlsCertificatePath and TlsKeyPath are for TlsListenEndPoint, which is not set.");
                }

                return;
            }

            if (options.TlsCertificatePath is null || options.TlsKeyPath is null)
            {
                failures.Add("PanOsSourceOptions.TlsListenEndPoint needs TlsCertificatePath and TlsKeyPath (PEM files).");
                return;
            }

            try
            {
                using var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertificatePath, options.TlsKeyPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                failures.Add($"PanOsSourceOptions.TlsCertificatePath '{options.TlsCertificatePath}' and TlsKeyPath '{options.TlsKeyPath}': cannot load a certificate and its key: {e.Message}");
            }
        }
    }
}
