using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PortMismatch.Detection.Hosting.Internal;

/// <summary>
/// Runs the pipeline over the registered sources until the host stops (the run's token is the host's stopping token, so
/// stopping writes the open windows and completes the sink). A failed run is logged with its counters, sets the process's
/// exit code to <see cref="FailedExitCode"/> and stops the host.
/// </summary>
internal sealed class DetectionHostedService(
    DetectionPipeline pipeline, IEnumerable<IFlowSource> sources, IHostApplicationLifetime lifetime, ILogger<DetectionHostedService> logger) : BackgroundService
{
    /// <summary>The exit code of a run that failed, as the console tool's.</summary>
    public const int FailedExitCode = 2;

    private static readonly Action<ILogger, string, int, Exception?> LogStarting = LoggerMessage.Define<string, int>(
        LogLevel.Information, new EventId(1, "DetectionStarting"), "Detecting protocol/port mismatches from {Sources} with {Rules} rules");

    private static readonly Action<ILogger, string, Exception?> LogSourceFailed = LoggerMessage.Define<string>(
        LogLevel.Error, new EventId(2, "SourceFailed"), "Source {Source} failed");

    private static readonly Action<ILogger, DetectionCounters, Exception?> LogStopped = LoggerMessage.Define<DetectionCounters>(
        LogLevel.Information, new EventId(3, "DetectionStopped"), "Detection stopped: {Counters}");

    private static readonly Action<ILogger, DetectionCounters, Exception?> LogFailed = LoggerMessage.Define<DetectionCounters>(
        LogLevel.Critical, new EventId(4, "DetectionFailed"), "Detection failed and stopped: {Counters}");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host's start goes on while the sources are opened and read.
        await Task.Yield();
        var list = sources.ToList();
        LogStarting(logger, string.Join(", ", list.Select(s => s.Name)), pipeline.Options.Rules.Count, null);
        DetectionResult result;
        try
        {
            result = await pipeline.RunAsync(list, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever ended the run (the sink's I/O error, a collector's socket error, a bug) ends the service the same way.
            LogFailed(logger, pipeline.GetCounters(), e);
            Environment.ExitCode = FailedExitCode;
            lifetime.StopApplication();
            return;
        }

        foreach (var failure in result.Failures)
        {
            LogSourceFailed(logger, failure.SourceName, failure.Error);
        }

        LogStopped(logger, result.Counters, null);
    }
}
