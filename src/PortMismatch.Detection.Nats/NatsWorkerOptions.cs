using System.Diagnostics.Metrics;
using NATS.Client.Core;
using PortMismatch.Detection.Nats.Internal;

namespace PortMismatch.Detection.Nats;

/// <summary>
/// Options of <see cref="NatsDetectionWorker"/>. Change with <c>with</c>; validated when the worker is created
/// (<see cref="ArgumentException"/> naming the option). Every worker of one stream must run the same
/// <see cref="Window"/>, <see cref="AllowedLateness"/>, <see cref="Partitions"/> and <see cref="Rules"/>: a worker refuses
/// a partition checkpointed with others.
/// </summary>
public sealed record NatsWorkerOptions
{
    /// <summary>Gets the NATS server URLs (any node of a cluster; default <c>nats://127.0.0.1:4222</c>). Not used with <see cref="Connection"/>.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>Gets a connection to use instead of <see cref="Urls"/>; the worker does not dispose it.</summary>
    public INatsConnection? Connection { get; init; }

    /// <summary>Gets the input stream (default <c>FLOWS</c>, subjects <c>flows.&lt;partition&gt;.&lt;format&gt;</c>); it must exist.</summary>
    public string Stream { get; init; } = "FLOWS";

    /// <summary>Gets the stream of partial rows, progress and final rows (default <c>FINDINGS</c>, subjects <c>findings.&gt;</c>), made when missing.</summary>
    public string FindingsStream { get; init; } = "FINDINGS";

    /// <summary>Gets the number of partitions (default 8): the most workers that can share the stream.</summary>
    public int Partitions { get; init; } = 8;

    /// <summary>Gets this worker's name in the lease bucket (default: host name, process id and a random suffix).</summary>
    public string? WorkerId { get; init; }

    /// <summary>Gets the tumbling window (default 5 minutes); whole microseconds, at least one.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets how far behind the latest record time a partition's watermark stays (default zero).</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.Zero;

    /// <summary>Gets the rules (default <see cref="RuleSet.Escu"/>).</summary>
    public RuleSet Rules { get; init; } = RuleSet.Escu;

    /// <summary>Gets the allow-list the merger applies to final rows (default none).</summary>
    public AllowList AllowList { get; init; } = AllowList.Empty;

    /// <summary>Gets the most messages in one segment (default 50,000).</summary>
    public int SegmentRecords { get; init; } = 50_000;

    /// <summary>Gets how long a segment stays open at most (default 2 seconds).</summary>
    public TimeSpan SegmentTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the most messages fetched at once per partition (default 1,000): what a worker holds per partition however far behind it is.</summary>
    public int BatchSize { get; init; } = 1_000;

    /// <summary>Gets the lease time to live (default 10 seconds; renewed every third of it). The lease bucket's time to live: set when the bucket is made, and a worker whose value differs from the bucket's refuses to start.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets how long a partition has nothing to read before it reports itself idle (default 30 seconds).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the replicas of the streams and buckets this worker makes when they are missing (default 1; 3 on a cluster).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Gets the sink that also receives the final rows while this worker is the merger (default none: only <c>findings.final</c>).</summary>
    public IMismatchRowSink? FinalRows { get; init; }

    /// <summary>
    /// Gets the most windows the merger keeps open (default 1,024). Past it, or past <see cref="MaxOpenRows"/>, the oldest open
    /// window is made final before every partition has passed it (a partition with no worker holds every window back);
    /// what comes for it later comes out as late rows that add to it, so the sums stay exact. Counted in
    /// <see cref="NatsDetectionWorker.WindowsForcedFinal"/>.
    /// </summary>
    public int MaxOpenWindows { get; init; } = 1_024;

    /// <summary>
    /// Gets the most summed rows the merger keeps in its open windows (default 1,000,000): see <see cref="MaxOpenWindows"/>.
    /// Both bounds are enforced after each message of partial rows, so they can be passed by one message's rows (at most 256).
    /// </summary>
    public int MaxOpenRows { get; init; } = 1_000_000;

    /// <summary>Gets the factory of the worker's meter (<see cref="NatsDetectionWorker.MeterName"/>); default: a meter of its own. DI passes the host's.</summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>A test's hook called at the kill points of a commit; it throws <see cref="WorkerKilledException"/> to stop the worker dead.</summary>
    internal Action<int, WorkerKillPoint>? KillAt { get; init; }

    /// <summary>
    /// The most partial rows in one message (default 256; a message also ends once it passes 64 KiB). Tests make it small
    /// so that a segment of few rows still spans several messages.
    /// </summary>
    internal int PartialRowsPerMessage { get; init; } = 256;

    internal void Validate()
    {
        if (Connection is null && (Urls is null || Urls.Count == 0))
        {
            throw new ArgumentException("Urls is empty; give at least one NATS server URL or a Connection.", nameof(Urls));
        }

        Check(!string.IsNullOrWhiteSpace(Stream), nameof(Stream), "is empty");
        Check(!string.IsNullOrWhiteSpace(FindingsStream), nameof(FindingsStream), "is empty");
        Check(Partitions is >= 1 and <= 1024, nameof(Partitions), $"is {Partitions}; it must be 1 to 1024");
        Check(Window.Ticks >= 10 && Window.Ticks % 10 == 0, nameof(Window), $"is {Window}; it must be whole microseconds, at least one");
        Check(AllowedLateness >= TimeSpan.Zero && AllowedLateness.Ticks % 10 == 0, nameof(AllowedLateness), $"is {AllowedLateness}; it must be whole microseconds, not negative");
        Check(Rules is not null, nameof(Rules), "is null");
        Check(AllowList is not null, nameof(AllowList), "is null");
        Check(SegmentRecords >= 1, nameof(SegmentRecords), $"is {SegmentRecords}; it must be at least 1");
        Check(SegmentTime > TimeSpan.Zero, nameof(SegmentTime), $"is {SegmentTime}; it must be positive");
        Check(BatchSize >= 1, nameof(BatchSize), $"is {BatchSize}; it must be at least 1");
        Check(LeaseTtl >= TimeSpan.FromSeconds(1), nameof(LeaseTtl), $"is {LeaseTtl}; it must be at least 1 second");
        Check(IdleTimeout > TimeSpan.Zero, nameof(IdleTimeout), $"is {IdleTimeout}; it must be positive");
        Check(MaxOpenWindows >= 1, nameof(MaxOpenWindows), $"is {MaxOpenWindows}; it must be at least 1");
        Check(PartialRowsPerMessage >= 1, nameof(PartialRowsPerMessage), $"is {PartialRowsPerMessage}; it must be at least 1");
        Check(MaxOpenRows >= 1, nameof(MaxOpenRows), $"is {MaxOpenRows}; it must be at least 1");
        Check(Replicas is >= 1 and <= 5, nameof(Replicas), $"is {Replicas}; it must be 1 to 5");
        Check(WorkerId is null || (WorkerId.Length > 0 && WorkerId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')), nameof(WorkerId), $"is '{WorkerId}'; it may hold ASCII letters, digits, '-' and '_'");
    }

    private static void Check(bool valid, string name, string problem)
    {
        if (!valid)
        {
            throw new ArgumentException($"{name} {problem}.", name);
        }
    }
}
