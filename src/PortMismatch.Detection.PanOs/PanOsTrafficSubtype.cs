namespace PortMismatch.Detection.PanOs;

/// <summary>The subtype of a TRAFFIC log (field 4, "Threat/Content Type").</summary>
public enum PanOsTrafficSubtype
{
    /// <summary>Empty or a value PAN-OS does not document for TRAFFIC logs.</summary>
    Other = 0,

    /// <summary><c>start</c>.</summary>
    Start = 1,

    /// <summary><c>end</c>.</summary>
    End = 2,

    /// <summary><c>drop</c>.</summary>
    Drop = 3,

    /// <summary><c>deny</c>.</summary>
    Deny = 4,
}
