using System.Globalization;
using PortMismatch.Detection.Siem;

namespace PortMismatch.Cli;

/// <summary>--hec-url: the rows go to a Splunk HTTP Event Collector; its counters join the summary, and rows it could not deliver fail the run.</summary>
internal static class HecOutput
{
    /// <summary>The sink of --hec-url, or null without it.</summary>
    public static SplunkHecSink? Open(ScanOptions options) => options.HecUrl is { } url
        ? new SplunkHecSink(new SplunkHecOptions(url, options.HecToken!) { Source = "portmismatch", SourceType = "portmismatch:finding" })
        : null;

    /// <summary>
    /// Says what the collector got (unless --quiet) and, when rows could not be delivered (refused, dropped, or still held
    /// after the flush), that too; returns whether every row was delivered.
    /// </summary>
    public static async Task<bool> ReportAsync(SplunkHecSink hec, ScanOptions options, TextWriter stderr)
    {
        var counters = hec.Counters;
        if (!options.Quiet)
        {
            await stderr.WriteLineAsync($"  splunk hec {options.HecUrl}: {counters}").ConfigureAwait(false);
        }

        var undelivered = counters.Failed + counters.Dropped + counters.Pending;
        if (undelivered == 0)
        {
            return true;
        }

        await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"portmismatch: {undelivered:N0} of {counters.Received:N0} rows could not be delivered to Splunk HEC ({counters.Failed:N0} failed, {counters.Dropped:N0} dropped, {counters.Pending:N0} still held).")).ConfigureAwait(false);
        return false;
    }
}
