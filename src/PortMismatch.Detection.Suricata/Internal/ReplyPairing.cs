namespace PortMismatch.Detection.Suricata.Internal;

/// <summary>
/// Tells the reply half of a flow that Suricata logs as two <c>netflow</c> events. Suricata writes the initiator's
/// direction first and then, when the responder sent packets, the reply: same <c>flow_id</c>, addresses and ports swapped.
/// The initiators seen last are kept in a fixed table (a direct-mapped cache of <see cref="Capacity"/> entries, so memory is
/// bounded whatever the input); an event whose <c>flow_id</c> and swapped ports match a kept initiator is its reply.
/// A reply logged after <see cref="Capacity"/> or more other initiators may find its entry overwritten and is then read
/// as an initiator; Suricata writes the two halves one after the other, so only a file interleaved by many threads comes
/// near that.
/// </summary>
internal sealed class ReplyPairing
{
    public const int Capacity = 4096;

    private readonly Entry[] _entries = new Entry[Capacity];

    /// <summary>Whether the event is the reply of a kept initiator (then its entry is freed); otherwise it is kept as one.</summary>
    public bool IsReply(long flowId, ushort sourcePort, ushort destinationPort)
    {
        ref var entry = ref _entries[(int)(Mix(flowId) & (Capacity - 1))];
        if (entry.IsUsed && entry.FlowId == flowId && entry.SourcePort == destinationPort && entry.DestinationPort == sourcePort)
        {
            entry = default;
            return true;
        }

        entry = new Entry { FlowId = flowId, SourcePort = sourcePort, DestinationPort = destinationPort, IsUsed = true };
        return false;
    }

    // Suricata's flow ids are hashes already, but a fixed multiplier keeps sequential ids (tests, other tools) spread too.
    private static ulong Mix(long flowId) => ((ulong)flowId * 0x9E3779B97F4A7C15UL) >> 40;

    private struct Entry
    {
        public long FlowId;
        public ushort SourcePort;
        public ushort DestinationPort;
        public bool IsUsed;
    }
}
