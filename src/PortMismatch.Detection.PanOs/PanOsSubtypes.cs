namespace PortMismatch.Detection.PanOs;

/// <summary>A set of TRAFFIC subtypes (field 4), for <see cref="PanOsReaderOptions.Subtypes"/>.</summary>
[Flags]
public enum PanOsSubtypes
{
    /// <summary>No subtype: every TRAFFIC log is skipped.</summary>
    None = 0,

    /// <summary><c>start</c>: a session began.</summary>
    Start = 1,

    /// <summary><c>end</c>: a session ended (one log per session).</summary>
    End = 2,

    /// <summary><c>drop</c>: dropped before the session was set up.</summary>
    Drop = 4,

    /// <summary><c>deny</c>: denied by policy after application identification.</summary>
    Deny = 8,

    /// <summary>Any other or empty subtype.</summary>
    Other = 16,

    /// <summary>Every subtype (the default).</summary>
    All = Start | End | Drop | Deny | Other,
}
