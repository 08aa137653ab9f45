using System.Globalization;

namespace PortMismatch.Detection.Siem;

/// <summary>
/// What a <see cref="SplunkHecSink"/> did with its rows, read at one moment:
/// <c>Received = Sent + Failed + Dropped + Pending</c> holds in every reading.
/// </summary>
public readonly record struct SplunkHecCounters
{
    /// <summary>Gets the rows given to the sink.</summary>
    public long Received { get; init; }

    /// <summary>Gets the rows Splunk accepted (with acknowledgement: the rows the indexers acknowledged).</summary>
    public long Sent { get; init; }

    /// <summary>Gets the rows Splunk refused (400, 401, 403), that no retry or resend delivered, or that a flush timed out on.</summary>
    public long Failed { get; init; }

    /// <summary>Gets the rows not taken because the queue stayed full (<see cref="SplunkHecOptions.EnqueueTimeout"/>).</summary>
    public long Dropped { get; init; }

    /// <summary>Gets the rows held now: queued, in a request, or waiting for an acknowledgement (at most <see cref="SplunkHecOptions.QueueCapacity"/>).</summary>
    public long Pending { get; init; }

    /// <summary>Gets the batches made (each counted once, however often it was sent).</summary>
    public long Batches { get; init; }

    /// <summary>Gets the requests repeated: after a busy reply, a 5xx, a timeout or a network error, or for a missing acknowledgement.</summary>
    public long Retries { get; init; }

    /// <summary>Returns the counters in words, as the command line's summary prints them.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Received:N0} rows: {Sent:N0} sent, {Failed:N0} failed, {Dropped:N0} dropped, {Pending:N0} pending; {Batches:N0} batches, {Retries:N0} retries");
}
