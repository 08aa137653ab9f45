namespace PortMismatch.Detection;

/// <summary>
/// Receives flow records from a reader's push API (the async file, stream and socket entry points). The record and the
/// spans in it are valid only during the call: copy what you keep.
/// </summary>
public interface IFlowRecordSink
{
    /// <summary>Handles one accepted record.</summary>
    /// <param name="record">The record, valid only during the call.</param>
    void OnRecord(in FlowRecord record);
}
