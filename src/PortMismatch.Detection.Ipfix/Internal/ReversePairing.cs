using System.Numerics;
using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>
/// Remembers the start times of recent uniflows in a fixed, direct-mapped table (a newer flow overwrites an older one in
/// its slot), so that a record can be paired with its reverse (addresses and ports swapped, same transport): the one that
/// started first is the initiator. Bounded by construction; allocation-free after the table is created.
/// </summary>
internal sealed class ReversePairing
{
    private readonly ulong[] _keys;
    private readonly long[] _starts;
    private readonly int _shift;
    private readonly long _window;

    public ReversePairing(int capacity, long windowMicroseconds)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 16));
        _keys = new ulong[size];
        _starts = new long[size];
        _shift = 64 - BitOperations.Log2((uint)size);
        _window = windowMicroseconds;
    }

    /// <summary>Records the flow and returns the start time of its reverse, if one was seen within the window.</summary>
    /// <remarks>The addresses are given as 64-bit digests (the IPv4 address, or the IPv6 halves folded).</remarks>
    public bool TryPair(ulong source, ulong destination, ushort sourcePort, ushort destinationPort, Transport transport, long start, out long reverseStart)
    {
        var key = Key(source, destination, sourcePort, destinationPort, transport);
        var reverse = Key(destination, source, destinationPort, sourcePort, transport);

        var r = Slot(reverse);
        var found = _keys[r] == reverse && Math.Abs(_starts[r] - start) <= _window;
        reverseStart = found ? _starts[r] : 0;

        var k = Slot(key);
        _keys[k] = key;
        _starts[k] = start;
        return found;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(ulong source, ulong destination, ushort sourcePort, ushort destinationPort, Transport transport)
    {
        // Asymmetric in (source, destination) so that a flow and its reverse get different keys.
        var ports = ((ulong)sourcePort << 24) | ((ulong)destinationPort << 8) | (byte)transport;
        var key = (source * 0x9E37_79B9_7F4A_7C15UL) ^ BitOperations.RotateLeft(destination * 0xC2B2_AE3D_27D4_EB4FUL, 31) ^ (ports * 0x1656_67B1_9E37_79F9UL);
        return key | 1; // never 0: 0 marks an empty slot
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(ulong key) => (int)((key * 0x9E37_79B9_7F4A_7C15UL) >> _shift);
}
