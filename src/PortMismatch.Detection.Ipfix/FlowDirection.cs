namespace PortMismatch.Detection.Ipfix;

/// <summary>Which half of a conversation a unidirectional flow record describes.</summary>
public enum FlowDirection
{
    /// <summary>Neither the export nor the heuristic could tell.</summary>
    Unknown = 0,

    /// <summary>From the initiator (client) to the responder.</summary>
    Initiator = 1,

    /// <summary>From the responder back to the initiator.</summary>
    Reply = 2,
}
