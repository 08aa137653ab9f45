using System.Globalization;

namespace PortMismatch.Cli;

/// <summary>What the live commands (<c>listen</c>, <c>follow</c>) write when they stop, and the exit code they end with.</summary>
internal static class LiveSummary
{
    /// <summary>The rejected lines not shown, the counters, and the records rejected and skipped by reason.</summary>
    public static async Task WriteCountersAsync(TextWriter stderr, RejectedLines rejectedLines, DetectionCounters counters)
    {
        rejectedLines.Flush();

        await stderr.WriteLineAsync($"portmismatch: stopped: {counters}").ConfigureAwait(false);
        foreach (var (reason, count) in counters.Input.RejectedByReason.OrderByDescending(r => r.Value))
        {
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  rejected {count,10:N0}  {reason}")).ConfigureAwait(false);
        }

        foreach (var (reason, count) in counters.Input.SkippedByReason.OrderByDescending(r => r.Value))
        {
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  skipped  {count,10:N0}  {reason}{SkipReasons.Explain(reason)}")).ConfigureAwait(false);
        }
    }

    /// <summary>2 when the output or a source failed (the output's failure is said here), else 1 or 0 as for scan.</summary>
    public static async Task<int> ExitCodeAsync(TextWriter stderr, ScanOptions options, RowOutput output, IReadOnlyList<SourceFailure> failures, DetectionCounters counters)
    {
        if (output.Failure is not null)
        {
            await stderr.WriteLineAsync($"portmismatch: {output.Describe()}").ConfigureAwait(false);
            return CommandLine.Failure;
        }

        if (failures.Count > 0)
        {
            return CommandLine.Failure;
        }

        return options.FailOnFindings && counters.RowsWritten > 0 ? CommandLine.Findings : CommandLine.Success;
    }
}
