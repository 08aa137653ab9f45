using System.Runtime.CompilerServices;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Counting and reporting: every record, set or message that is not accepted is counted with its reason, and reported
// through the diagnostics callback with its offset; the message text is only built when there is a callback.
public sealed partial class IpfixDecoder
{
    internal bool HasDiagnostics => _diagnostics is not null;

    internal void RejectUnitAt(string reason, string message, long byteOffset)
    {
        Counters.CountRead();
        Counters.CountRejected(reason);
        Report(RecordOutcome.Rejected, reason, message, byteOffset);
    }

    internal void CountIgnoredPacket(bool fragment, long byteOffset)
    {
        Statistics.PacketsIgnored++;
        if (fragment)
        {
            Statistics.Fragments++;
            Counters.CountRead();
            Counters.CountRejected("ip-fragment");
            if (_diagnostics is not null)
            {
                Report(RecordOutcome.Rejected, "ip-fragment", "an IP fragment of an export datagram: reassembly is not supported", byteOffset);
            }
        }
    }

    private void RejectUnit(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountRead();
        Reject(reason, at, ref message);
    }

    private void SkipUnit(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountRead();
        Skip(reason, at, ref message);
    }

    private void Reject(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountRejected(reason);
        if (message.Enabled)
        {
            Report(RecordOutcome.Rejected, reason, message.ToStringAndClear(), at);
        }
    }

    private void Skip(string reason, long at, [InterpolatedStringHandlerArgument("")] ref DiagnosticMessage message)
    {
        Counters.CountSkipped(reason);
        if (message.Enabled)
        {
            Report(RecordOutcome.Skipped, reason, message.ToStringAndClear(), at);
        }
    }

    private void Report(RecordOutcome outcome, string reason, string message, long at)
        => _diagnostics?.Invoke(new InputDiagnostic(outcome, reason, message, InputName, 0, at));
}
