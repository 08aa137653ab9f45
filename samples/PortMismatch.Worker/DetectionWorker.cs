using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PortMismatch.Detection;

namespace PortMismatch.Worker;

/// <summary>
/// Runs the pipeline over the registered sources until the host stops; stopping writes the open windows. When the run
/// fails (the output throws: a full disk; or a source throws what is not an input error), the worker logs the failure
/// with what was counted, sets the process's exit code to 2 and stops the host.
/// </summary>
internal sealed class DetectionWorker(
    DetectionPipeline pipeline, IEnumerable<IFlowSource> sources, IHostApplicationLifetime lifetime, ILogger<DetectionWorker> logger) : BackgroundService
{
    /// <summary>The exit code of a run that failed, as the console host's.</summary>
    public const int FailedExitCode = 2;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var list = sources.ToList();
        logger.LogInformation("Detecting protocol/port mismatches from {Sources} with {Rules} rules", string.Join(", ", list.Select(s => s.Name)), pipeline.Options.Rules.Count);
        DetectionResult result;
        try
        {
            result = await pipeline.RunAsync(list, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "Detection failed and stopped: {Counters}", pipeline.GetCounters());
            Environment.ExitCode = FailedExitCode;
            lifetime.StopApplication();
            return;
        }

        foreach (var failure in result.Failures)
        {
            logger.LogError(failure.Error, "Source {Source} failed", failure.SourceName);
        }

        logger.LogInformation("Stopped: {Counters}", result.Counters);
    }
}
