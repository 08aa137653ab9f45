namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>The stable reason codes of rejected and skipped records (documented in the package README).</summary>
internal static class Reasons
{
    public const string LineTooLong = "line-too-long";
    public const string InvalidUtf8 = "invalid-utf8";
    public const string WrongFieldCount = "wrong-field-count";
    public const string InvalidJson = "invalid-json";
    public const string MissingTimestamp = "missing-timestamp";
    public const string BadTimestamp = "bad-timestamp";
    public const string BadAddress = "bad-address";
    public const string BadPort = "bad-port";
    public const string PortOutOfRange = "port-out-of-range";
    public const string BadNumber = "bad-number";
    public const string BadService = "bad-service";
    public const string NotATrafficLog = "not-a-traffic-log";
    public const string UnterminatedLine = "unterminated-line";
}
