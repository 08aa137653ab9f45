using System.Runtime.CompilerServices;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// The flow's time: absolute start, end or observation fields, system-uptime fields against the v9 header or the
// exporter's init time (IPFIX), a delta from the export time, or the export time itself.
public sealed partial class IpfixDecoder
{
    private static long Microseconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : span.Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>
    /// The flow's start time from whichever start field the template carries; failing that its end time, then an
    /// observation time, then the message's export time (the order of precision a CIM <c>_time</c> would want).
    /// </summary>
    private long StartTime(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, DomainState domain)
    {
        const long Micro = 1_000_000;
        if (TryAbsoluteTime(slots, record, FieldRole.StartSeconds, FieldRole.StartMilliseconds, FieldRole.StartMicroseconds, FieldRole.StartNanoseconds, out var time)
            || TryUpTime(slots, record, FieldRole.StartSysUpTime, domain, out time))
        {
            return time;
        }

        if (FieldSlots.TryGet(slots, FieldRole.StartDeltaMicroseconds, record, out var value))
        {
            return (_exportSeconds * Micro) - (long)Math.Min(BigEndian.ReadUnsigned(value), uint.MaxValue);
        }

        if (TryAbsoluteTime(slots, record, FieldRole.EndSeconds, FieldRole.EndMilliseconds, FieldRole.EndMicroseconds, FieldRole.EndNanoseconds, out time)
            || TryUpTime(slots, record, FieldRole.EndSysUpTime, domain, out time)
            || TryAbsoluteTime(slots, record, FieldRole.ObservationSeconds, FieldRole.ObservationMilliseconds, FieldRole.ObservationMicroseconds, FieldRole.ObservationNanoseconds, out time))
        {
            return time;
        }

        return _exportSeconds * Micro; // no time in the record: the message's export time
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAbsoluteTime(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, FieldRole seconds, FieldRole milliseconds, FieldRole microseconds, FieldRole nanoseconds, out long time)
    {
        if (FieldSlots.TryGet(slots, milliseconds, record, out var value))
        {
            time = (long)Math.Min(BigEndian.ReadUnsigned(value), long.MaxValue / 1000) * 1000;
            return true;
        }

        if (FieldSlots.TryGet(slots, microseconds, record, out value) || FieldSlots.TryGet(slots, nanoseconds, record, out value))
        {
            // dateTimeMicroseconds / dateTimeNanoseconds are NTP timestamps (RFC 7011 section 6.1.9, 6.1.10).
            time = value.Length == 8 ? BigEndian.NtpToUnixMicroseconds(BigEndian.ReadUnsigned(value)) : long.MinValue;
            return true;
        }

        if (FieldSlots.TryGet(slots, seconds, record, out value))
        {
            time = (long)Math.Min(BigEndian.ReadUnsigned(value), long.MaxValue / 1_000_000) * 1_000_000;
            return true;
        }

        time = 0;
        return false;
    }

    private bool TryUpTime(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, FieldRole role, DomainState domain, out long time)
    {
        time = 0;
        if (!FieldSlots.TryGet(slots, role, record, out var value))
        {
            return false;
        }

        var uptime = (uint)Math.Min(BigEndian.ReadUnsigned(value), uint.MaxValue);
        if (_version == 9)
        {
            // RFC 3954: FIRST/LAST_SWITCHED are sysUpTime (ms) values; the header pairs sysUpTime with UNIX seconds. The
            // 32-bit difference survives the uptime wrap (49.7 days) and a flow stamped a little after the header.
            var millisecondsBefore = unchecked((int)((uint)_sysUpTimeMilliseconds - uptime));
            time = (_exportSeconds * 1_000_000) - (millisecondsBefore * 1000L);
            return true;
        }

        var init = FieldSlots.TryGet(slots, FieldRole.SystemInitTimeMilliseconds, record, out var initValue)
            ? (long)Math.Min(BigEndian.ReadUnsigned(initValue), long.MaxValue / 2000)
            : domain.SystemInitTimeMilliseconds;
        if (init < 0)
        {
            return false;
        }

        time = (init + uptime) * 1000;
        return true;
    }
}
