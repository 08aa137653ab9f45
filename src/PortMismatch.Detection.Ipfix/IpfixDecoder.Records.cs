using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Data sets and records: each record cut by its template (fixed or variable length), its addresses, ports, protocol and
// counts read, its time, application and direction resolved, and the accepted record handed to the sink.
public sealed partial class IpfixDecoder
{
    private void DecodeDataSet<TSink>(ReadOnlySpan<byte> body, int bodyOffset, ushort setId, DomainState domain, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        if (domain.Templates.TryGetValue(setId, out var template) && _live && _clock - template.RefreshedAt > _templateLifetime)
        {
            Lose(domain, template, TemplateLoss.Expired); // not re-sent in time: it must not decode (RFC 3954)
            template = null;
        }

        if (template is null)
        {
            Statistics.SetsWithoutTemplate++;
            _sequenceKnown = false;
            if (body.Length > 0 && _options.MaxPendingBytes > 0 && TryKeepPending(domain, setId, body, bodyOffset))
            {
                return; // kept until its template arrives (bounded); counted then, or when dropped
            }

            if (body.ContainsAnyExcept((byte)0))
            {
                SkipWithoutTemplate(domain, setId, _messageOffset + bodyOffset - 4);
            }

            return;
        }

        _currentDomain = domain;
        _currentTemplateId = setId;

        if (!template.IsVariableLength)
        {
            var length = template.FixedLength;
            var slots = template.FixedSlots;
            var count = body.Length / length;
            _recordsInMessage += count;
            if (count == 0 && body.ContainsAnyExcept((byte)0))
            {
                // Not padding: a record cut short, or a template that does not describe this data.
                RejectUnit("truncated-record", _messageOffset + bodyOffset, $"data set {setId} has {body.Length} octets; its template's records have {length}");
                _sequenceKnown = false;
                return;
            }

            if (template.IsOptions)
            {
                for (var i = 0; i < count; i++)
                {
                    LearnFromOptionsRecord(body.Slice(i * length, length), slots, domain, bodyOffset + (i * length));
                }
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    DecodeDataRecord(body.Slice(i * length, length), slots, template, domain, bodyOffset + (i * length), ref sink);
                }
            }

            return;
        }

        Span<int> variableSlots = stackalloc int[(int)FieldRole.Count];
        var p = 0;
        while (body.Length - p >= template.MinimumLength)
        {
            variableSlots.Clear();
            var q = p;
            foreach (var field in template.Fields)
            {
                int length = field.Length;
                if (length == Template.VariableLength)
                {
                    if (q >= body.Length)
                    {
                        length = -1;
                    }
                    else
                    {
                        length = body[q++];
                        if (length == 255)
                        {
                            length = body.Length - q >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(body[q..]) : -1;
                            q += 2;
                        }
                    }
                }

                if (length < 0 || length > body.Length - q)
                {
                    Counters.CountRead();
                    Reject("truncated-record", _messageOffset + bodyOffset + p, $"a variable-length field of template {setId} runs past its set");
                    _sequenceKnown = false;
                    return;
                }

                FieldSlots.Set(variableSlots, field.Role, q - p, length);
                q += length;
            }

            if (q == p)
            {
                return; // cannot happen (MinimumLength >= 1), but never loop without progress
            }

            _recordsInMessage++;
            var record = body[p..q];
            if (template.IsOptions)
            {
                LearnFromOptionsRecord(record, variableSlots, domain, bodyOffset + p);
            }
            else
            {
                DecodeDataRecord(record, variableSlots, template, domain, bodyOffset + p, ref sink);
            }

            p = q;
        }
    }

    /// <summary>Skips a data set without a template, saying why when its template expired or was evicted.</summary>
    private void SkipWithoutTemplate(DomainState domain, ushort setId, long at)
    {
        switch (domain.Lost?.Find(setId) ?? TemplateLoss.None)
        {
            case TemplateLoss.Expired:
                SkipUnit("template-expired", at, $"data set {setId} of domain {domain.Key.DomainId} of {domain.Key.Exporter}: its template was not re-sent within TemplateLifetime ({_options.TemplateLifetime}) and expired; it is decoded again once the exporter re-sends the template");
                break;
            case TemplateLoss.Evicted:
                SkipUnit("template-evicted", at, $"data set {setId} of domain {domain.Key.DomainId} of {domain.Key.Exporter}: its template was evicted to keep the collector's state within its budgets (many exporters, domains or templates); it is decoded again once the exporter re-sends the template");
                break;
            default:
                SkipUnit("no-template", at, $"data set {setId} of domain {domain.Key.DomainId} of {domain.Key.Exporter} arrived before its template");
                break;
        }
    }

    private void DecodeDataRecord<TSink>(ReadOnlySpan<byte> record, ReadOnlySpan<int> slots, Template template, DomainState domain, int offset, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        Counters.CountRead();
        if (!template.IsFlow)
        {
            Skip("not-a-flow", _messageOffset + offset, $"template {template.Id} has no address or port");
            return;
        }

        if (!TryReadAddress(slots, FieldRole.SourceIPv4, FieldRole.SourceIPv6, record, out var source, out var sourceFold)
            || !TryReadAddress(slots, FieldRole.DestinationIPv4, FieldRole.DestinationIPv6, record, out var destination, out var destinationFold))
        {
            Reject("bad-address", _messageOffset + offset, $"an address field of template {template.Id} has a length other than 4 or 16");
            return;
        }

        ushort? sourcePort = null, destinationPort = null;
        if (FieldSlots.TryGet(slots, FieldRole.SourcePort, record, out var value))
        {
            var port = BigEndian.ReadUnsigned(value);
            if (port > ushort.MaxValue || value.Length > 8)
            {
                Reject("port-out-of-range", _messageOffset + offset, $"source port {port} in template {template.Id}");
                return;
            }

            sourcePort = (ushort)port;
        }

        if (FieldSlots.TryGet(slots, FieldRole.DestinationPort, record, out value))
        {
            var port = BigEndian.ReadUnsigned(value);
            if (port > ushort.MaxValue || value.Length > 8)
            {
                Reject("port-out-of-range", _messageOffset + offset, $"destination port {port} in template {template.Id}");
                return;
            }

            destinationPort = (ushort)port;
        }

        var transport = Transport.Unknown;
        if (FieldSlots.TryGet(slots, FieldRole.Protocol, record, out value))
        {
            var protocol = BigEndian.ReadUnsigned(value);
            transport = protocol <= 255 ? Transports.FromProtocolNumber((int)protocol) : Transport.Other;
        }

        var time = StartTime(slots, record, domain);
        if (!FlowTime.IsValid(time))
        {
            Reject("bad-timestamp", _messageOffset + offset, $"the flow start time of template {template.Id} is out of range");
            return;
        }

        if (time > _notAfter)
        {
            Reject("time-in-future", _messageOffset + offset, $"a flow of template {template.Id} from {domain.Key.Exporter} (domain {domain.Key.DomainId}) starts at {FlowTime.ToDateTimeOffset(time):O}, more than MaxClockSkew ({_options.MaxClockSkew}) after the collector's clock ({FlowTime.ToDateTimeOffset(_wallClock):O})");
            return;
        }

        var app = ResolveApplication(slots, record, domain);
        var direction = template.IsBiflow ? BiflowDirection(slots, record) : Direction(slots, record, app, sourceFold, destinationFold, sourcePort, destinationPort, transport, time);
        if (direction == FlowDirection.Reply && !_options.IncludeReplies)
        {
            Skip("reply-flow", _messageOffset + offset, $"a reply record (source port {sourcePort}, destination port {destinationPort})");
            return;
        }

        _currentDirection = direction;
        _currentOffset = _messageOffset + offset;
        var flow = new FlowRecord
        {
            TimestampMicroseconds = time,
            SourceAddress = source,
            DestinationAddress = destination,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            Transport = transport,
            Apps = app.IsEmpty ? AppValues.None : AppValues.FromValue(app),
            Bytes = ReadCount(slots, FieldRole.Bytes, record),
            Packets = ReadCount(slots, FieldRole.Packets, record),
        };
        Counters.CountAccepted();
        sink.OnRecord(in flow);
    }

    /// <summary>Reads an address; <paramref name="fold"/> is a cheap 64-bit digest of it for reverse pairing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadAddress(ReadOnlySpan<int> slots, FieldRole v4, FieldRole v6, ReadOnlySpan<byte> record, out IPAddressValue address, out ulong fold)
    {
        var hasV6 = FieldSlots.TryGet(slots, v6, record, out var v6Value);
        if (FieldSlots.TryGet(slots, v4, record, out var value))
        {
            // Templates that carry both families fill one and zero the other: prefer the one in use.
            if (value.Length != 4)
            {
                address = IPAddressValue.None;
                fold = 0;
                return false;
            }

            var v4Address = BinaryPrimitives.ReadUInt32BigEndian(value);
            if (v4Address != 0 || !hasV6 || !v6Value.ContainsAnyExcept((byte)0))
            {
                address = IPAddressValue.FromIPv4(v4Address);
                fold = v4Address;
                return true;
            }
        }

        if (hasV6)
        {
            if (v6Value.Length != 16)
            {
                address = IPAddressValue.None;
                fold = 0;
                return false;
            }

            address = IPAddressValue.FromBytes(v6Value);
            fold = BinaryPrimitives.ReadUInt64LittleEndian(v6Value) ^ BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(v6Value[8..]), 29) ^ (1UL << 63);
            return true;
        }

        address = IPAddressValue.None;
        fold = 0;
        return true;
    }

    private static long? ReadCount(ReadOnlySpan<int> slots, FieldRole role, ReadOnlySpan<byte> record)
    {
        if (!FieldSlots.TryGet(slots, role, record, out var value))
        {
            return null;
        }

        var count = BigEndian.ReadUnsigned(value);
        return count > long.MaxValue ? null : (long)count;
    }
}
