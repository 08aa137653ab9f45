namespace PortMismatch.Detection.Nats.Internal;

/// <summary>Where a test may stop a worker as a kill would: no commit, no lease released (<see cref="NatsWorkerOptions.KillAt"/>).</summary>
internal enum WorkerKillPoint
{
    /// <summary>After the intent of a segment was written, before any row was published.</summary>
    AfterIntent,

    /// <summary>After half of a segment's partial rows were published and acknowledged.</summary>
    AfterHalfRows,
}

/// <summary>Thrown by a test's <see cref="NatsWorkerOptions.KillAt"/>: the worker stops dead, as after SIGKILL.</summary>
internal sealed class WorkerKilledException() : Exception("killed by a test");
