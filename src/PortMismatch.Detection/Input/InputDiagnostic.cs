using System.Globalization;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// One input record that was rejected or skipped, with where it was and why. Readers hand these to the caller's
/// diagnostics callback; they are created only on that path, never for accepted records.
/// </summary>
public sealed class InputDiagnostic
{
    /// <summary>Creates a diagnostic.</summary>
    /// <param name="outcome">Rejected or skipped.</param>
    /// <param name="reason">A stable, machine-readable reason in kebab case (<c>bad-address</c>, <c>not-a-traffic-log</c>).</param>
    /// <param name="message">A human-readable explanation; any quoted input must be escaped and length-capped.</param>
    /// <param name="inputName">The input's name (a file path, <c>stdin</c>, <c>udp://192.0.2.1:2055</c>), or <see langword="null"/>.</param>
    /// <param name="lineNumber">The 1-based line of a line-oriented input, or 0.</param>
    /// <param name="byteOffset">The record's offset in bytes from the start of the input, or -1 when unknown.</param>
    public InputDiagnostic(RecordOutcome outcome, string reason, string message, string? inputName, long lineNumber, long byteOffset)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentNullException.ThrowIfNull(message);
        Outcome = outcome;
        Reason = reason;
        Message = message;
        InputName = inputName;
        LineNumber = lineNumber;
        ByteOffset = byteOffset;
    }

    /// <summary>Gets whether the record was rejected or skipped.</summary>
    public RecordOutcome Outcome { get; }

    /// <summary>Gets the stable reason code.</summary>
    public string Reason { get; }

    /// <summary>Gets the human-readable explanation.</summary>
    public string Message { get; }

    /// <summary>Gets the input's name, if known.</summary>
    public string? InputName { get; }

    /// <summary>
    /// Gets who sent the record, for an input that several senders share (a UDP collector: the datagram's source address and
    /// port, <c>192.0.2.7:51234</c>), or <see langword="null"/>.
    /// </summary>
    public string? Sender { get; init; }

    /// <summary>Gets the 1-based line number, or 0 for inputs without lines.</summary>
    public long LineNumber { get; }

    /// <summary>Gets the byte offset of the record from the start of the input, or -1.</summary>
    public long ByteOffset { get; }

    /// <summary>Returns <c>input:line (byte offset, from sender): rejected (reason): message</c>, leaving out what is unknown.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(InputName ?? "input");

        if (LineNumber > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $":{LineNumber}");
        }

        if (ByteOffset >= 0 || Sender is not null)
        {
            text.Append(" (");
            if (ByteOffset >= 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"byte {ByteOffset}").Append(Sender is null ? string.Empty : ", ");
            }

            text.Append(Sender is null ? string.Empty : $"from {Sender}").Append(')');
        }

        text.Append(CultureInfo.InvariantCulture, $": {(Outcome == RecordOutcome.Skipped ? "skipped" : "rejected")} ({Reason}): {Message}");
        return text.ToString();
    }
}
