namespace PortMismatch.Detection.PanOs.Internal;

/// <summary>The stable reason codes of this package's diagnostics (README lists them).</summary>
internal static class Reasons
{
    // Rejected: the record is malformed.
    public const string InvalidUtf8 = "invalid-utf8";
    public const string LineTooLong = "line-too-long";
    public const string TruncatedFrame = "truncated-frame";
    public const string BadSyslogHeader = "bad-syslog-header";
    public const string UnterminatedQuote = "unterminated-quote";
    public const string BadQuote = "bad-quote";
    public const string TooFewFields = "too-few-fields";
    public const string BadAddress = "bad-address";
    public const string BadPort = "bad-port";
    public const string PortOutOfRange = "port-out-of-range";
    public const string BadTimestamp = "bad-timestamp";
    public const string BadNumber = "bad-number";
    public const string TimeInFuture = "time-in-future";

    // Skipped: well-formed, but not a flow this reader yields.
    public const string NotATrafficLog = "not-a-traffic-log";
    public const string SubtypeNotSelected = "subtype-not-selected";
}
