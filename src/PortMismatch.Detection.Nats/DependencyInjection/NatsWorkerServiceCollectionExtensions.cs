using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PortMismatch.Detection;
using PortMismatch.Detection.Nats;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="NatsDetectionWorker"/> as a hosted service of the Generic Host.</summary>
public static class NatsWorkerServiceCollectionExtensions
{
    /// <summary>
    /// Runs one <see cref="NatsDetectionWorker"/> for the host's lifetime: it starts with the host, and when the host stops
    /// it commits what it read and gives its leases back. The options are validated when the host starts
    /// (<see cref="ArgumentException"/> naming the option). Without <see cref="NatsWorkerOptions.FinalRows"/>, an
    /// <see cref="IMismatchRowSink"/> registered in the container (the OCSF or HEC output, your own) receives the final
    /// rows while this worker is the merger. One worker per host: a second call replaces the configuration.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the default options (<c>o =&gt; o with { Urls = ["nats://..."], Window = ... }</c>).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddNatsWorker(this IServiceCollection services, Func<NatsWorkerOptions, NatsWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.RemoveAll<NatsWorkerConfiguration>();
        services.AddSingleton(new NatsWorkerConfiguration(configure));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NatsWorkerService>());
        return services;
    }
}

/// <summary>The configuration of <see cref="NatsWorkerServiceCollectionExtensions.AddNatsWorker"/>.</summary>
internal sealed record NatsWorkerConfiguration(Func<NatsWorkerOptions, NatsWorkerOptions> Configure);

/// <summary>
/// The worker as a hosted service of its own, not a source of <c>AddHostedDetection</c>'s pipeline: the worker aggregates,
/// checkpoints and writes its rows itself (the commit protocol needs the aggregation of a segment and its output in one
/// hand), so a pipeline around it would have nothing to do.
/// </summary>
internal sealed class NatsWorkerService(NatsWorkerConfiguration configuration, IServiceProvider services) : BackgroundService
{
    private NatsDetectionWorker? _worker;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var options = configuration.Configure(new NatsWorkerOptions());
        if (options.FinalRows is null && services.GetService(typeof(IMismatchRowSink)) is IMismatchRowSink sink)
        {
            options = options with { FinalRows = sink };
        }

        if (options.MeterFactory is null && services.GetService(typeof(IMeterFactory)) is IMeterFactory meters)
        {
            options = options with { MeterFactory = meters };
        }

        _worker = new NatsDetectionWorker(options); // validates: a bad option stops the host at start
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_worker is not null)
        {
            await _worker.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _worker!.RunAsync(stoppingToken);
}
