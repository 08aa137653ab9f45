using System.Text.Json.Serialization;

namespace PortMismatch.Cli;

/// <summary>The run summary's JSON document (snake_case names; absent values are left out).</summary>
internal sealed class RunStatsDocument
{
    /// <summary>Gets the version of this document's shape; it changes when a field changes meaning or is removed.</summary>
    public int StatsVersion { get; init; } = 1;

    public string Tool { get; init; } = "portmismatch";

    public required string ToolVersion { get; init; }

    public required string Command { get; init; }

    public required string StartTime { get; init; }

    public required string EndTime { get; init; }

    public double DurationSeconds { get; init; }

    public int ExitCode { get; init; }

    public bool Interrupted { get; init; }

    public string? Error { get; init; }

    public required List<RunStatsInput> Inputs { get; init; }

    public RunStatsCounters? Total { get; set; }

    public long? RecordsSelected { get; set; }

    public long? LateRecords { get; set; }

    public RunStatsRows? Rows { get; set; }

    public List<RunStatsAllowListEntry>? AllowList { get; set; }
}

/// <summary>Records read, accepted, rejected and skipped, with the reasons by code.</summary>
internal class RunStatsCounters
{
    public long Read { get; init; }

    public long Accepted { get; init; }

    public long Rejected { get; init; }

    public long Skipped { get; init; }

    public required Dictionary<string, long> RejectedByReason { get; init; }

    public required Dictionary<string, long> SkippedByReason { get; init; }

    public static RunStatsCounters Create(InputCounters counters) => new()
    {
        Read = counters.Read,
        Accepted = counters.Accepted,
        Rejected = counters.Rejected,
        Skipped = counters.Skipped,
        RejectedByReason = Sorted(counters.RejectedByReason),
        SkippedByReason = Sorted(counters.SkippedByReason),
    };

    protected static Dictionary<string, long> Sorted(IReadOnlyDictionary<string, long> reasons)
    {
        var sorted = new Dictionary<string, long>(reasons.Count, StringComparer.Ordinal);
        foreach (var (reason, count) in reasons.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            sorted[reason] = count;
        }

        return sorted;
    }
}

/// <summary>One input: a file, standard input, or a listening socket.</summary>
internal sealed class RunStatsInput : RunStatsCounters
{
    public required string Name { get; init; }

    public string? Format { get; init; }

    public bool Failed { get; init; }

    public long? DatagramsReceived { get; init; }

    public long? DatagramsDroppedBySocket { get; init; }

    /// <summary>Gets what became of a TCP or TLS listener's connections, or null for other inputs.</summary>
    public RunStatsConnections? Connections { get; init; }

    /// <summary>Gets the bytes a TCP or TLS listener read (after TLS), or null for other inputs.</summary>
    public long? BytesReceived { get; init; }

    public static RunStatsInput CreateStream(string name, string format, bool failed, InputCounters counters, RunStatsConnections connections, long bytesReceived) => new()
    {
        Name = name,
        Format = format,
        Failed = failed,
        Read = counters.Read,
        Accepted = counters.Accepted,
        Rejected = counters.Rejected,
        Skipped = counters.Skipped,
        RejectedByReason = Sorted(counters.RejectedByReason),
        SkippedByReason = Sorted(counters.SkippedByReason),
        Connections = connections,
        BytesReceived = bytesReceived,
    };

    public static RunStatsInput Create(string name, string? format, bool failed, InputCounters counters, long? datagramsReceived = null, long? datagramsDropped = null) => new()
    {
        Name = name,
        Format = format,
        Failed = failed,
        Read = counters.Read,
        Accepted = counters.Accepted,
        Rejected = counters.Rejected,
        Skipped = counters.Skipped,
        RejectedByReason = Sorted(counters.RejectedByReason),
        SkippedByReason = Sorted(counters.SkippedByReason),
        DatagramsReceived = datagramsReceived,
        DatagramsDroppedBySocket = datagramsDropped,
    };
}

/// <summary>A TCP or TLS listener's connections: accepted, refused at the cap, closed when idle, failed TLS handshakes (TLS only).</summary>
internal sealed class RunStatsConnections
{
    public long Accepted { get; init; }

    public long Refused { get; init; }

    public long TimedOut { get; init; }

    public long? TlsHandshakesFailed { get; init; }
}

/// <summary>What became of the rows: <c>emitted = written + combined + removed_by_allow_list</c>.</summary>
internal sealed class RunStatsRows
{
    public long Emitted { get; init; }

    public long Written { get; init; }

    public long Combined { get; init; }

    public long Partial { get; init; }

    public long RemovedByAllowList { get; init; }

    /// <summary>Rows removed as baseline by --suppress-seen-days (only with --baseline).</summary>
    public long? SuppressedAsBaseline { get; init; }

    /// <summary>Entries the --baseline store evicted to stay within its bound (only with --baseline).</summary>
    public long? BaselineEvictions { get; init; }
}

/// <summary>One allow-list entry and the rows it removed.</summary>
internal sealed class RunStatsAllowListEntry
{
    public required string Entry { get; init; }

    public long RowsRemoved { get; init; }
}

/// <summary>Source-generated serialization (the CLI is published NativeAOT: no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(RunStatsDocument))]
internal sealed partial class RunStatsJson : JsonSerializerContext;
