using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

// Emission: the rows of groups, and of values that cannot join one.
public sealed partial class MismatchAggregator
{
    /// <summary>The transports of a row by the mask of those seen (bit i: <see cref="Transport"/> i), each set made once.</summary>
    internal static readonly ImmutableArray<Transport>[] TransportSets = CreateTransportSets();

    private void Emit(long windowStart, in GroupKey key, in GroupStats stats, bool partial, bool late = false)
    {
        _rowsEmitted++;
        _sink.OnRow(RowOf(windowStart, key, stats, partial, late));
    }

    /// <summary>A group's row, its app named from this aggregator's app table (which the row's key's id belongs to).</summary>
    private MismatchRow RowOf(long windowStart, in GroupKey key, in GroupStats stats, bool partial, bool late = false) => new(
        key.Source,
        key.Destination,
        _apps.GetString(key.App),
        key.Port,
        stats.Count,
        stats.First,
        stats.Last,
        stats.Rule >= 0 ? Rules[stats.Rule] : null,
        TransportSets[stats.Transports & 0xF])
    {
        WindowStartMicroseconds = _window == 0 ? null : windowStart,
        WindowEndMicroseconds = _window == 0 ? null : SaturatingAdd(windowStart, _window),
        IsPartial = partial,
        IsLate = late,
    };

    /// <summary>A value whose window has no room (see <see cref="OpenWindow"/>): a row of its own, late or partial as its marker says.</summary>
    private void EmitOwnRow(GroupTable marker, in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule)
        => EmitLate(record, value, port, transport, rule, late: marker.IsLate);

    /// <summary>A record that cannot join a group (late, or an app value beyond every bound) still becomes a row of its own.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitLate(in FlowRecord record, ReadOnlySpan<byte> value, int port, Transport transport, int rule, bool late = true)
    {
        if (!late)
        {
            _earlyEmissions++;
        }

        var time = record.TimestampMicroseconds;
        var start = _window == 0 ? 0 : FloorToWindow(time);
        _rowsEmitted++;
        _sink.OnRow(new MismatchRow(
            record.SourceAddress,
            record.DestinationAddress,
            AppText.FromUtf8(value),
            port,
            1,
            time,
            time,
            rule >= 0 ? Rules[rule] : null,
            TransportSets[1 << (int)transport])
        {
            WindowStartMicroseconds = _window == 0 ? null : start,
            WindowEndMicroseconds = _window == 0 ? null : SaturatingAdd(start, _window),
            IsLate = late,
            IsPartial = !late,
        });
    }

    private static ImmutableArray<Transport>[] CreateTransportSets()
    {
        var sets = new ImmutableArray<Transport>[16];
        for (var mask = 0; mask < 16; mask++)
        {
            var builder = ImmutableArray.CreateBuilder<Transport>();
            for (var t = 0; t < 4; t++)
            {
                if ((mask & (1 << t)) != 0)
                {
                    builder.Add((Transport)t);
                }
            }

            sets[mask] = builder.ToImmutable();
        }

        return sets;
    }
}
