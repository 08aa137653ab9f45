using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Application identity: names from the record (IE 96, PAN-OS App-ID, nProbe, vendor fields), names learned from options
// records for RFC 6759 application ids (bounded by MaxApplicationNameBytes), YAF labels,
// and the numbered fallbacks, formatted into one scratch buffer.
public sealed partial class IpfixDecoder
{
    private static readonly SearchValues<byte> DottedDigits = SearchValues.Create("0123456789."u8);
    private readonly byte[] _appScratch = new byte[128];

    /// <summary>The octets a learned name is counted as, besides its length, against <see cref="IpfixReaderOptions.MaxApplicationNameBytes"/>.</summary>
    internal const int ApplicationNameOverheadBytes = 64;

    /// <summary>Gets the memory the learned application names of all scopes are counted as now (see <see cref="IpfixReaderOptions.MaxApplicationNameBytes"/>).</summary>
    internal long ApplicationNameBytes => _applicationNameBytes;

    private void LearnFromOptionsRecord(ReadOnlySpan<byte> record, ReadOnlySpan<int> slots, DomainState domain, int offset)
    {
        Counters.CountRead();
        if (FieldSlots.TryGet(slots, FieldRole.ApplicationId, record, out var id)
            && FieldSlots.TryGet(slots, FieldRole.ApplicationName, record, out var name)
            && ApplicationIdKey.TryCreate(id, out var key))
        {
            name = TrimNul(name);
            if (!name.IsEmpty)
            {
                if (domain.ApplicationNames.TryGetValue(key, out var known))
                {
                    if (!name.SequenceEqual(known))
                    {
                        if (!MakeRoomForNames(domain, name.Length - known.Length))
                        {
                            Statistics.ApplicationNamesDropped++;
                        }
                        else
                        {
                            domain.ApplicationNames[key] = name.ToArray();
                            AddNameBytes(domain, name.Length - known.Length);
                            Statistics.ApplicationNamesLearned++;
                        }
                    }
                }
                else if (domain.ApplicationNames.Count >= _options.MaxApplicationNamesPerDomain
                    || !MakeRoomForNames(domain, ApplicationNameOverheadBytes + name.Length))
                {
                    Statistics.ApplicationNamesDropped++;
                }
                else
                {
                    domain.ApplicationNames.Add(key, name.ToArray());
                    AddNameBytes(domain, ApplicationNameOverheadBytes + name.Length);
                    Statistics.ApplicationNamesLearned++;
                }
            }
        }

        if (FieldSlots.TryGet(slots, FieldRole.SystemInitTimeMilliseconds, record, out var init))
        {
            domain.SystemInitTimeMilliseconds = (long)Math.Min(BigEndian.ReadUnsigned(init), long.MaxValue);
        }

        Skip("options-record", _messageOffset + offset, $"options record of template {_currentTemplateId}");
    }

    private ReadOnlySpan<byte> ResolveApplication(ReadOnlySpan<int> slots, ReadOnlySpan<byte> record, DomainState domain)
    {
        if (FieldSlots.TryGet(slots, FieldRole.ApplicationName, record, out var name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        if (FieldSlots.TryGet(slots, FieldRole.PanOsAppId, record, out name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        if (FieldSlots.TryGet(slots, FieldRole.NprobeL7ProtocolName, record, out name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        if (FieldSlots.TryGet(slots, FieldRole.VendorApplicationName, record, out name) && !(name = TrimNul(name)).IsEmpty)
        {
            return name;
        }

        var hasId = FieldSlots.TryGet(slots, FieldRole.ApplicationId, record, out var id);
        if (hasId && ApplicationIdKey.TryCreate(id, out var key) && domain.ApplicationNames.TryGetValue(key, out var known))
        {
            return known;
        }

        if (FieldSlots.TryGet(slots, FieldRole.YafAppLabel, record, out var labelValue))
        {
            var label = BigEndian.ReadUnsigned(labelValue);
            if (label != 0)
            {
                var labelName = AppLabels.NameOf(label);
                return labelName.IsEmpty ? FormatNumbered("yaf:"u8, label) : labelName;
            }
        }

        if (hasId && !id.IsEmpty)
        {
            return FormatApplicationId(id);
        }

        if (FieldSlots.TryGet(slots, FieldRole.NprobeL7Protocol, record, out var protocol))
        {
            // Numeric in older nProbe versions, text ("7.126": master.application) in newer ones.
            var text = TrimNul(protocol);
            if (!text.IsEmpty && text.Length <= 32 && !text.ContainsAnyExcept(DottedDigits))
            {
                var scratch = _appScratch.AsSpan();
                "ndpi:"u8.CopyTo(scratch);
                text.CopyTo(scratch[5..]);
                return scratch[..(5 + text.Length)];
            }

            var number = protocol.Length <= 8 ? BigEndian.ReadUnsigned(protocol) : 0;
            if (number != 0)
            {
                return FormatNumbered("ndpi:"u8, number);
            }
        }

        return default;
    }

    private ReadOnlySpan<byte> FormatNumbered(ReadOnlySpan<byte> prefix, ulong number)
    {
        var scratch = _appScratch.AsSpan();
        prefix.CopyTo(scratch);
        number.TryFormat(scratch[prefix.Length..], out var written, default, CultureInfo.InvariantCulture);
        return scratch[..(prefix.Length + written)];
    }

    /// <summary>Formats an unresolved RFC 6759 applicationId as <c>engine:selector</c> (PANA-L7-PEN as <c>20:pen:selector</c>).</summary>
    private ReadOnlySpan<byte> FormatApplicationId(ReadOnlySpan<byte> id)
    {
        var scratch = _appScratch.AsSpan();
        var engine = id[0];
        var selector = id[1..];
        engine.TryFormat(scratch, out var n, default, CultureInfo.InvariantCulture);
        scratch[n++] = (byte)':';
        if (engine == 20 && selector.Length > 4 && selector.Length <= 12)
        {
            BinaryPrimitives.ReadUInt32BigEndian(selector).TryFormat(scratch[n..], out var w, default, CultureInfo.InvariantCulture);
            n += w;
            scratch[n++] = (byte)':';
            selector = selector[4..];
        }

        if (selector.Length <= 8)
        {
            BigEndian.ReadUnsigned(selector).TryFormat(scratch[n..], out var w, default, CultureInfo.InvariantCulture);
            n += w;
        }
        else
        {
            const string Hex = "0123456789abcdef";
            foreach (var b in selector.Length > 48 ? selector[..48] : selector)
            {
                scratch[n++] = (byte)Hex[b >> 4];
                scratch[n++] = (byte)Hex[b & 0xF];
            }
        }

        return scratch[..n];
    }

    private static ReadOnlySpan<byte> TrimNul(ReadOnlySpan<byte> value)
    {
        var end = value.IndexOf((byte)0);
        return end < 0 ? value : value[..end];
    }
}
