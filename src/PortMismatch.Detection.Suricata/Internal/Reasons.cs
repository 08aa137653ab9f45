namespace PortMismatch.Detection.Suricata.Internal;

/// <summary>The stable reason codes of rejected and skipped records (documented in the package README).</summary>
internal static class Reasons
{
    public const string LineTooLong = "line-too-long";
    public const string InvalidUtf8 = "invalid-utf8";
    public const string InvalidJson = "invalid-json";
    public const string MissingEventType = "missing-event-type";
    public const string MissingTimestamp = "missing-timestamp";
    public const string BadTimestamp = "bad-timestamp";
    public const string MissingAddress = "missing-address";
    public const string BadAddress = "bad-address";
    public const string BadPort = "bad-port";
    public const string PortOutOfRange = "port-out-of-range";
    public const string BadNumber = "bad-number";
    public const string BadAppProto = "bad-app-proto";
    public const string NotAFlowEvent = "not-a-flow-event";
    public const string ReplyFlow = "reply-flow";
}
