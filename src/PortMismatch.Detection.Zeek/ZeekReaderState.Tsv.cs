using System.Runtime.CompilerServices;
using System.Text.Unicode;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek;

/// <summary>The TSV (Zeek ASCII writer) record path.</summary>
public sealed partial class ZeekReaderState
{
    private bool ParseTsv(ReadOnlySpan<byte> line, out FlowRecord record)
    {
        record = default;
        var schema = _schema;
        if (schema.FieldCount == 0)
        {
            ThrowFormat(ZeekFormatError.MissingHeader, "a data line comes before the '#fields' line of its header block");
        }

        Counters.CountRead();
        if (schema.IsOtherPath && !Options.AcceptAnyPath)
        {
            return Skip(Reasons.NotATrafficLog, schema.Path);
        }

        var fieldCount = schema.FieldCount;
        if (_separatorPositions.Length < fieldCount - 1 + FieldSplitter.Slack)
        {
            _separatorPositions = new int[fieldCount - 1 + FieldSplitter.Slack];
        }

        var separators = FieldSplitter.FindSeparators(line, schema.Separator, _separatorPositions, out var isAscii);
        var positions = _separatorPositions.AsSpan(0, fieldCount - 1);
        if (!isAscii && !Utf8.IsValid(line))
        {
            return Reject(Reasons.InvalidUtf8, "the line is not valid UTF-8:", line);
        }

        if (separators != fieldCount - 1)
        {
            return _diagnostics is null
                ? Reject(Reasons.WrongFieldCount, string.Empty, default)
                : Reject(Reasons.WrongFieldCount, $"expected {fieldCount} fields as in '#fields', found {line.Count(schema.Separator) + 1}");
        }

        var unset = schema.UnsetField;
        var ts = Field(line, positions, schema.Ts);
        if (IsUnset(ts, unset) || !ZeekText.TryParseTimestamp(ts, out var micros))
        {
            return Reject(Reasons.BadTimestamp, "ts is not epoch seconds:", ts);
        }

        if (!TryAddress(Field(line, positions, schema.OrigH), unset, "id.orig_h", out var source)
            || !TryAddress(Field(line, positions, schema.RespH), unset, "id.resp_h", out var destination)
            || !TryPort(line, positions, schema.OrigP, unset, "id.orig_p", out var sourcePort)
            || !TryPort(line, positions, schema.RespP, unset, "id.resp_p", out var destinationPort)
            || !TryCountPair(line, positions, schema.OrigBytes, schema.RespBytes, unset, out var bytes)
            || !TryCountPair(line, positions, schema.OrigPackets, schema.RespPackets, unset, out var packets))
        {
            return false;
        }

        var transport = Transport.Unknown;
        if (schema.Proto != TsvSchema.NoColumn)
        {
            var proto = Field(line, positions, schema.Proto);
            transport = IsUnset(proto, unset) ? Transport.Unknown : Transports.FromName(proto);
        }

        var service = SetText(Field(line, positions, schema.Service), schema);
        var speculative = Options.IncludeSpeculativeService && schema.SpeculativeService != TsvSchema.NoColumn
            ? SetText(Field(line, positions, schema.SpeculativeService), schema)
            : default;
        if (!TryComposeApps(service, speculative, schema.SetSeparator, out var apps))
        {
            return Reject(Reasons.BadService, "service cannot be split into values:", service);
        }

        record = new FlowRecord
        {
            TimestampMicroseconds = micros,
            SourceAddress = source,
            DestinationAddress = destination,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            Transport = transport,
            Apps = apps,
            Bytes = bytes,
            Packets = packets,
        };
        Accept();
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> line, ReadOnlySpan<int> positions, int index)
    {
        var (start, end) = FieldBounds(line, positions, index);
        return line[start..end];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Start, int End) FieldBounds(ReadOnlySpan<byte> line, ReadOnlySpan<int> positions, int index)
        => (index == 0 ? 0 : positions[index - 1] + 1, index == positions.Length ? line.Length : positions[index]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsUnset(ReadOnlySpan<byte> field, byte[] unset)
        => field.Length == unset.Length && (field.Length == 1 ? field[0] == unset[0] : field.SequenceEqual(unset));

    private static ReadOnlySpan<byte> SetText(ReadOnlySpan<byte> field, TsvSchema schema)
        => IsUnset(field, schema.UnsetField) || IsUnset(field, schema.EmptyField) ? default : field;

    private bool TryAddress(ReadOnlySpan<byte> field, byte[] unset, string name, out IPAddressValue address)
    {
        if (IsUnset(field, unset))
        {
            address = IPAddressValue.None;
            return true;
        }

        return ZeekText.TryParseAddress(field, out address) || Reject(Reasons.BadAddress, name, " is not an IP address:", field);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryPort(ReadOnlySpan<byte> line, ReadOnlySpan<int> positions, int column, byte[] unset, string name, out ushort? port)
    {
        port = null;
        var (start, end) = FieldBounds(line, positions, column);
        var field = line[start..end];
        if (IsUnset(field, unset))
        {
            return true;
        }

        switch (ZeekText.TryParsePort(line, start, end, out var value))
        {
            case NumberStatus.Ok:
                port = value;
                return true;
            case NumberStatus.OutOfRange:
                return Reject(Reasons.PortOutOfRange, name, " is not in 0-65535:", field);
            default:
                return Reject(Reasons.BadPort, name, " is not a port number:", field);
        }
    }

    /// <summary>Sums an orig/resp counter pair (either column may be missing or unset; both unset gives null).</summary>
    private bool TryCountPair(ReadOnlySpan<byte> line, ReadOnlySpan<int> positions, int origColumn, int respColumn, byte[] unset, out long? total)
    {
        total = null;
        return TryAddCount(line, positions, origColumn, unset, ref total) && TryAddCount(line, positions, respColumn, unset, ref total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAddCount(ReadOnlySpan<byte> line, ReadOnlySpan<int> positions, int column, byte[] unset, ref long? total)
    {
        if (column == TsvSchema.NoColumn)
        {
            return true;
        }

        var (start, end) = FieldBounds(line, positions, column);
        var field = line[start..end];
        if (IsUnset(field, unset))
        {
            return true;
        }

        if (ZeekText.TryParseCount(line, start, end, out var value) != NumberStatus.Ok)
        {
            return Reject(Reasons.BadNumber, "a byte or packet count is not a count:", field);
        }

        total = AddSaturating(total.GetValueOrDefault(), value);
        return true;
    }
}
