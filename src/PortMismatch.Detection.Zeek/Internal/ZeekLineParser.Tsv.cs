using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>The TSV (Zeek ASCII writer) record path.</summary>
internal sealed partial class ZeekLineParser
{
    /// <summary>Parses a data line; <paramref name="found"/> is the count of separators FindTsvLine found in it, or -1.</summary>
    private bool ParseTsv(ReadOnlySpan<byte> line, int found, out FlowRecord record)
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

        // Field k is line[bounds[k] + 1 .. bounds[k + 1]]: bounds[0] = -1, then the separators, then the line's length.
        var fieldCount = schema.FieldCount;
        var bounds = FieldBounds(fieldCount);
        int separators;
        bool isAscii;
        if (found >= 0)
        {
            separators = found;
            isAscii = _foundAscii;
        }
        else
        {
            separators = FieldSplitter.FindSeparators(line, schema.Separator, bounds.AsSpan(1, fieldCount - 1 + FieldSplitter.Slack), out isAscii);
        }

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

        bounds[0] = -1;
        bounds[fieldCount] = line.Length;
        var fields = new TsvFields(line, bounds, fieldCount, schema.UnsetField);
        var ts = fields[schema.Ts];
        if (fields.IsUnset(ts) || !ZeekTime.TryParseTimestamp(ts, out var micros))
        {
            return Reject(Reasons.BadTimestamp, "ts is not epoch seconds:", ts);
        }

        if (!TryAddress(fields, schema.OrigH, "id.orig_h", out var source)
            || !TryAddress(fields, schema.RespH, "id.resp_h", out var destination))
        {
            return false;
        }

        // Both ports in one vector step when both are plain digits (the usual line); otherwise one by one, which also
        // says what is wrong.
        ushort? sourcePort;
        ushort? destinationPort;
        var (sourceStart, sourceEnd) = fields.Bounds(schema.OrigP);
        var (destinationStart, destinationEnd) = fields.Bounds(schema.RespP);
        if (ZeekNumbers.TryParsePortPair(fields.Line, sourceStart, sourceEnd, destinationStart, destinationEnd, out var first, out var second))
        {
            sourcePort = first;
            destinationPort = second;
        }
        else if (!TryPort(fields, schema.OrigP, "id.orig_p", out sourcePort) || !TryPort(fields, schema.RespP, "id.resp_p", out destinationPort))
        {
            return false;
        }

        long? bytes = null;
        long? packets = null;
        if (!TryAddCounts(fields, schema.OrigBytes, schema.RespBytes, ref bytes)
            || !TryAddCounts(fields, schema.OrigPackets, schema.RespPackets, ref packets))
        {
            return false;
        }

        var transport = Transport.Unknown;
        if (schema.Proto != TsvSchema.NoColumn)
        {
            var proto = fields[schema.Proto];
            transport = fields.IsUnset(proto) ? Transport.Unknown : Transports.FromName(proto);
        }

        var service = SetText(fields[schema.Service], schema);
        var speculative = Options.IncludeSpeculativeService && schema.SpeculativeService != TsvSchema.NoColumn
            ? SetText(fields[schema.SpeculativeService], schema)
            : default;
        // The usual service set is split in place; only escapes, dropped values or speculative values need the composer.
        // (A local of its own for the composer's out parameter: one taken by address would keep apps in memory, and the
        // record's copy of it would then wait on that store.)
        AppValues apps;
        if (speculative.IsEmpty && IsPlainSet(service, schema.SetSeparator))
        {
            apps = AppValues.Split(service, schema.SetSeparator);
        }
        else if (TryComposeApps(service, schema.SetSeparator, speculative, schema.SetSeparator, out var composed))
        {
            apps = composed;
        }
        else
        {
            return Reject(Reasons.BadService, "service cannot be split into values:", service);
        }

        var flowId = schema.Uid == TsvSchema.NoColumn ? default : SetText(fields[schema.Uid], schema);
        record = new FlowRecord
        {
            FlowId = flowId,
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
    private static bool IsUnset(ReadOnlySpan<byte> field, byte[] unset)
        => field.Length == unset.Length && (field.Length == 1 ? field[0] == unset[0] : field.SequenceEqual(unset));

    private static ReadOnlySpan<byte> SetText(ReadOnlySpan<byte> field, TsvSchema schema)
        => IsUnset(field, schema.UnsetField) || IsUnset(field, schema.EmptyField) ? default : field;

    private bool TryAddress(in TsvFields fields, int column, string name, out IPAddressValue address)
    {
        var (start, end) = fields.Bounds(column);
        if (fields.IsUnset(start, end))
        {
            address = IPAddressValue.None;
            return true;
        }

        return IPAddressValue.TryParse(fields.Line, start, end - start, out address) || Reject(Reasons.BadAddress, name, " is not an IP address:", fields[column]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryPort(in TsvFields fields, int column, string name, out ushort? port)
    {
        port = null;
        var (start, end) = fields.Bounds(column);
        if (fields.IsUnset(start, end))
        {
            return true;
        }

        switch (ZeekNumbers.TryParsePort(fields.Line, start, end, out var value))
        {
            case NumberStatus.Ok:
                port = value;
                return true;
            case NumberStatus.OutOfRange:
                return Reject(Reasons.PortOutOfRange, name, " is not in 0-65535:", fields[column]);
            default:
                return Reject(Reasons.BadPort, name, " is not a port number:", fields[column]);
        }
    }

    /// <summary>
    /// The total of two count columns (orig and resp): both in one vector step when both are plain digits (the usual line),
    /// otherwise one by one (<see cref="TryAddCount"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAddCounts(in TsvFields fields, int column0, int column1, ref long? total)
    {
        if ((column0 != TsvSchema.NoColumn) & (column1 != TsvSchema.NoColumn))
        {
            var (start0, end0) = fields.Bounds(column0);
            var (start1, end1) = fields.Bounds(column1);
            if (ZeekNumbers.TryParseDigitPair(fields.Line, start0, end0, start1, end1, out var value0, out var value1))
            {
                total = AddSaturating(total.GetValueOrDefault(), (long)value0 + value1);
                return true;
            }
        }

        return TryAddCount(fields, column0, ref total) && TryAddCount(fields, column1, ref total);
    }

    /// <summary>Adds a byte or packet count column to a total (a missing or unset column adds nothing; both unset leave null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAddCount(in TsvFields fields, int column, ref long? total)
    {
        if (column == TsvSchema.NoColumn)
        {
            return true;
        }

        var (start, end) = fields.Bounds(column);
        if (fields.IsUnset(start, end))
        {
            return true;
        }

        if (ZeekNumbers.TryParseCount(fields.Line, start, end, out var value) != NumberStatus.Ok)
        {
            return Reject(Reasons.BadNumber, "a byte or packet count is not a count:", fields[column]);
        }

        total = AddSaturating(total.GetValueOrDefault(), value);
        return true;
    }
}
