namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>What <see cref="SyslogFramer"/> found at the start of the unread input.</summary>
internal enum FrameStatus
{
    /// <summary>A frame (line or RFC 6587 octet-counted message) to decode.</summary>
    Frame = 0,

    /// <summary>Input was consumed without a frame to decode: a blank line, or an over-long or truncated one (already counted).</summary>
    Consumed = 1,

    /// <summary>The input ends inside a frame and more may come.</summary>
    NeedMoreData = 2,

    /// <summary>The input is finished.</summary>
    End = 3,
}
