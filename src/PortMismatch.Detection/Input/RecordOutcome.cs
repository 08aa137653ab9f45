namespace PortMismatch.Detection;

/// <summary>What a reader did with one input record. Every record read has exactly one outcome.</summary>
public enum RecordOutcome
{
    /// <summary>The record became a <see cref="FlowRecord"/>.</summary>
    Accepted = 0,

    /// <summary>The record is malformed (bad address, port out of range, wrong field count, ...): reported and counted.</summary>
    Rejected = 1,

    /// <summary>The record is well-formed but not a flow this library reads (a THREAT log, an options record, ...): counted with a reason.</summary>
    Skipped = 2,
}
