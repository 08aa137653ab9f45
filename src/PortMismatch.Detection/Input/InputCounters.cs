namespace PortMismatch.Detection;

/// <summary>
/// Counts what a reader did with its input so that nothing is silently lost: <c>Read = Accepted + Rejected + Skipped</c>
/// holds whenever a read has finished. Rejections and skips are also counted per reason. One thread counts (the reader);
/// other threads may watch a running count: the totals are read without tearing (they may lag by a record), and
/// <see cref="Add(InputCounters)"/> takes a consistent copy of the per-reason counts. Combine instances with
/// <see cref="Add(InputCounters)"/>.
/// </summary>
public sealed class InputCounters
{
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _skipped = new(StringComparer.Ordinal);

    /// <summary>Gets the number of records the reader delimited (lines, JSON objects, flow records in a message, ...).</summary>
    public long Read { get; private set; }

    /// <summary>Gets the number of records that became flow records.</summary>
    public long Accepted { get; private set; }

    /// <summary>Gets the number of malformed records.</summary>
    public long Rejected { get; private set; }

    /// <summary>Gets the number of well-formed records that are not flows.</summary>
    public long Skipped { get; private set; }

    /// <summary>Gets the rejections per reason code (read it when the reader has finished; copy a running count with <see cref="Add(InputCounters)"/>).</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => _rejected;

    /// <summary>Gets the skips per reason code (read it when the reader has finished; copy a running count with <see cref="Add(InputCounters)"/>).</summary>
    public IReadOnlyDictionary<string, long> SkippedByReason => _skipped;

    /// <summary>Gets whether every record read has an outcome.</summary>
    public bool IsBalanced => Read == Accepted + Rejected + Skipped;

    /// <summary>Counts a record delimited by the reader (before its outcome is known).</summary>
    public void CountRead() => Read++;

    /// <summary>Counts an accepted record.</summary>
    public void CountAccepted() => Accepted++;

    /// <summary>Counts a rejected record.</summary>
    /// <param name="reason">The reason code.</param>
    public void CountRejected(string reason)
    {
        Rejected++;
        Increment(_rejected, reason);
    }

    /// <summary>Counts a skipped record.</summary>
    /// <param name="reason">The reason code.</param>
    public void CountSkipped(string reason)
    {
        Skipped++;
        Increment(_skipped, reason);
    }

    /// <summary>Adds another reader's counts to these (for multi-file or multi-thread reads).</summary>
    /// <param name="other">The other counters.</param>
    public void Add(InputCounters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Read += other.Read;
        Accepted += other.Accepted;
        Rejected += other.Rejected;
        Skipped += other.Skipped;
        AddCounts(_rejected, other._rejected);
        AddCounts(_skipped, other._skipped);
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"read {Read} = accepted {Accepted} + rejected {Rejected} + skipped {Skipped}");

    private static void Increment(Dictionary<string, long> counts, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        lock (counts)
        {
            // A lock without contention costs little next to a rejection; it lets a metrics thread copy a running count.
            counts[reason] = counts.GetValueOrDefault(reason) + 1;
        }
    }

    private static void AddCounts(Dictionary<string, long> target, Dictionary<string, long> source)
    {
        lock (source)
        {
            foreach (var (reason, count) in source)
            {
                target[reason] = target.GetValueOrDefault(reason) + count;
            }
        }
    }
}
