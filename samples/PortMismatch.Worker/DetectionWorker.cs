using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PortMismatch.Detection;

namespace PortMismatch.Worker;

/// <summary>Runs the pipeline over the registered sources until the host stops; stopping writes the open windows.</summary>
internal sealed class DetectionWorker(DetectionPipeline pipeline, IEnumerable<IFlowSource> sources, ILogger<DetectionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var list = sources.ToList();
        logger.LogInformation("Detecting protocol/port mismatches from {Sources} with {Rules} rules", string.Join(", ", list.Select(s => s.Name)), pipeline.Options.Rules.Count);
        var result = await pipeline.RunAsync(list, stoppingToken).ConfigureAwait(false);
        foreach (var failure in result.Failures)
        {
            logger.LogError(failure.Error, "Source {Source} failed", failure.SourceName);
        }

        logger.LogInformation("Stopped: {Counters}", result.Counters);
    }
}
