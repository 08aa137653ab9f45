using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Whether a record is the initiator's or the reply: biflowDirection, the initial TCP flags, pairing with the reverse
// record, and the port heuristic (ephemeral ranges, the expected ports of the direction rules).
public sealed partial class IpfixDecoder
{
    private readonly MismatchEvaluator _directionEvaluator;
    private readonly ReversePairing? _pairing;
    private readonly bool _rulesExpectEphemeralPorts;

    /// <summary>RFC 5103 biflows are oriented (the forward half is the initiator's) unless biflowDirection says otherwise.</summary>
    private static FlowDirection BiflowDirection(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record)
        => FieldSlots.TryGet(slots, FieldRole.BiflowDirection, record, out var value) && BigEndian.ReadUnsigned(value) == 2
            ? FlowDirection.Reply
            : FlowDirection.Initiator;

    private FlowDirection Direction(
        ReadOnlySpan<int> slots,
        ReadOnlySpan<byte> record,
        ReadOnlySpan<byte> app,
        ulong sourceAddress,
        ulong destinationAddress,
        ushort? sourcePort,
        ushort? destinationPort,
        Transport transport,
        long start)
    {
        if (FieldSlots.TryGet(slots, FieldRole.BiflowDirection, record, out var value))
        {
            switch (BigEndian.ReadUnsigned(value))
            {
                case 1: return FlowDirection.Initiator;
                case 2: return FlowDirection.Reply;
            }
        }

        if (FieldSlots.TryGet(slots, FieldRole.InitialTcpFlags, record, out value))
        {
            var flags = BigEndian.ReadUnsigned(value);
            if ((flags & 0x02) != 0)
            {
                return (flags & 0x10) != 0 ? FlowDirection.Reply : FlowDirection.Initiator;
            }
        }

        if (sourcePort is not { } source || destinationPort is not { } destination)
        {
            return FlowDirection.Unknown;
        }

        var sourceEphemeral = IsEphemeral(source);
        var destinationEphemeral = IsEphemeral(destination);

        // Pairing: the reverse record started earlier (or at the same time, from the ephemeral side).
        if (_pairing is not null && _pairing.TryPair(sourceAddress, destinationAddress, source, destination, transport, start, out var reverseStart))
        {
            if (reverseStart != start)
            {
                return reverseStart < start ? FlowDirection.Reply : FlowDirection.Initiator;
            }

            if (sourceEphemeral != destinationEphemeral)
            {
                return destinationEphemeral ? FlowDirection.Reply : FlowDirection.Initiator;
            }
        }

        // Heuristic: the destination port is ephemeral and the source port is not, or the source port is an expected port
        // of the record's app and the destination port is not. (A source port in the ephemeral range is an expected port
        // only under rules that list such ports: the evaluator is consulted then.)
        if (destinationEphemeral && !sourceEphemeral)
        {
            return FlowDirection.Reply;
        }

        if (!app.IsEmpty
            && (!sourceEphemeral || _rulesExpectEphemeralPorts)
            && _directionEvaluator.TryMatch(app, destination, transport, out _)
            && !_directionEvaluator.TryMatch(app, source, transport, out _))
        {
            return FlowDirection.Reply;
        }

        return sourceEphemeral && !destinationEphemeral ? FlowDirection.Initiator : FlowDirection.Unknown;
    }

    private bool IsEphemeral(int port) => port >= _options.EphemeralPortStart && port <= _options.EphemeralPortEnd;
}
