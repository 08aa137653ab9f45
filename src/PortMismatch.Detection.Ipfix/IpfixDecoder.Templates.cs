using System.Buffers.Binary;
using PortMismatch.Detection.Ipfix.Internal;

namespace PortMismatch.Detection.Ipfix;

// Template and options template sets: each template read into a reusable field list, learned within the budgets of
// IpfixReaderOptions (a re-send only renews it), or withdrawn (files only); learning one replays the data sets
// that waited for it.
public sealed partial class IpfixDecoder
{
    private const int StackFields = 128;

    private TemplateField[] _largeFields = [];

    /// <summary>The octets a template is counted as, besides its fields, against <see cref="IpfixReaderOptions.MaxTemplateBytes"/>.</summary>
    internal const int TemplateOverheadBytes = 256;

    /// <summary>The octets a template field is counted as against <see cref="IpfixReaderOptions.MaxTemplateBytes"/>.</summary>
    internal const int TemplateFieldBytes = 16;

    /// <summary>Gets the memory the templates of all scopes are counted as now (see <see cref="IpfixReaderOptions.MaxTemplateBytes"/>).</summary>
    internal long TemplateBytes => _templateBytes;

    private void DecodeTemplateSet<TSink>(ReadOnlySpan<byte> body, int bodyOffset, DomainState domain, bool options, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        var isV9 = _version == 9;
        Span<TemplateField> scratch = stackalloc TemplateField[StackFields];
        var p = 0;
        while (body.Length - p >= 4)
        {
            var at = _messageOffset + bodyOffset + p;
            var templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            if (templateId == 0 && fieldCount == 0 && !body[p..].ContainsAnyExcept((byte)0))
            {
                return; // padding at the end of the set
            }

            if (fieldCount == 0)
            {
                if (isV9)
                {
                    RejectUnit("bad-template", at, $"template {templateId} has no fields");
                    return;
                }

                Counters.CountRead();
                Withdraw(domain, templateId, options, at);
                p += 4;
                continue;
            }

            Counters.CountRead();
            var headerLength = options ? 6 : 4;
            if (body.Length - p < headerLength)
            {
                Reject("truncated-template", at, $"template {templateId} is cut short");
                return;
            }

            var scopeCount = options ? BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]) : 0;
            if (fieldCount > _options.MaxFieldsPerTemplate)
            {
                Reject("too-many-fields", at, $"template {templateId} has {fieldCount} fields, more than {_options.MaxFieldsPerTemplate}");
                return; // its length cannot be trusted either
            }

            if (options && (scopeCount == 0 || scopeCount > fieldCount))
            {
                Reject("bad-template", at, $"options template {templateId} has {scopeCount} scope fields of {fieldCount}");
                return;
            }

            var q = p + headerLength;
            var fields = fieldCount <= StackFields ? scratch[..fieldCount] : LargeFieldScratch(fieldCount);
            for (var i = 0; i < fieldCount; i++)
            {
                if (body.Length - q < 4)
                {
                    Reject("truncated-template", at, $"template {templateId} is cut short at field {i + 1} of {fieldCount}");
                    return;
                }

                var id = BinaryPrimitives.ReadUInt16BigEndian(body[q..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(body[(q + 2)..]);
                q += 4;
                uint enterprise = 0;
                if (!isV9 && (id & 0x8000) != 0)
                {
                    if (body.Length - q < 4)
                    {
                        Reject("truncated-template", at, $"template {templateId} is cut short in an enterprise number");
                        return;
                    }

                    enterprise = BinaryPrimitives.ReadUInt32BigEndian(body[q..]);
                    id &= 0x7FFF;
                    q += 4;
                }

                fields[i] = new TemplateField(id, length, enterprise, InformationElements.RoleOf(enterprise, id));
            }

            p = q;
            Learn(domain, templateId, options, fields, scopeCount, at, ref sink);
        }
    }

    private void DecodeV9OptionsTemplateSet<TSink>(ReadOnlySpan<byte> body, int bodyOffset, DomainState domain, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        Span<TemplateField> scratch = stackalloc TemplateField[StackFields];
        var p = 0;
        while (body.Length - p >= 6)
        {
            var at = _messageOffset + bodyOffset + p;
            var templateId = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            int scopeLength = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            int optionLength = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]);
            if (templateId == 0 && scopeLength == 0 && optionLength == 0)
            {
                return; // padding
            }

            Counters.CountRead();
            if (scopeLength % 4 != 0 || optionLength % 4 != 0 || scopeLength + optionLength == 0)
            {
                Reject("bad-template", at, $"options template {templateId}: scope length {scopeLength} and option length {optionLength} are not multiples of 4");
                return;
            }

            var scopeCount = scopeLength / 4;
            var fieldCount = scopeCount + (optionLength / 4);
            if (fieldCount > _options.MaxFieldsPerTemplate)
            {
                Reject("too-many-fields", at, $"options template {templateId} has {fieldCount} fields, more than {_options.MaxFieldsPerTemplate}");
                return;
            }

            if (body.Length - p - 6 < scopeLength + optionLength)
            {
                Reject("truncated-template", at, $"options template {templateId} is cut short");
                return;
            }

            var fields = fieldCount <= StackFields ? scratch[..fieldCount] : LargeFieldScratch(fieldCount);
            var q = p + 6;
            for (var i = 0; i < fieldCount; i++)
            {
                var id = BinaryPrimitives.ReadUInt16BigEndian(body[q..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(body[(q + 2)..]);
                q += 4;

                // v9 scope field types (1 system, 2 interface, 3 line card, 4 cache, 5 template) are not information elements.
                fields[i] = new TemplateField(id, length, 0, i < scopeCount ? FieldRole.None : InformationElements.RoleOf(0, id));
            }

            p = q;
            Learn(domain, templateId, true, fields, scopeCount, at, ref sink);
        }
    }

    private void Learn<TSink>(DomainState domain, ushort templateId, bool options, ReadOnlySpan<TemplateField> fields, int scopeCount, long at, ref TSink sink)
        where TSink : IFlowRecordSink
    {
        if (templateId < 256)
        {
            Reject("bad-template-id", at, $"template id {templateId} is below 256");
            return;
        }

        if (domain.Templates.TryGetValue(templateId, out var existing) && existing.SameLayout(options, scopeCount, fields))
        {
            // A periodic re-send: nothing to learn, nothing to allocate; over UDP it renews the template's lifetime.
            existing.RefreshedAt = _clock;
            Skip("template", at, $"template {templateId} (unchanged)");
            return;
        }

        var cost = TemplateCost(fields.Length);
        var freed = existing is null ? 0 : TemplateCost(existing.FieldCount);
        if (existing is null && domain.Templates.Count >= _options.MaxTemplatesPerDomain)
        {
            Reject("too-many-templates", at, $"template {templateId} not kept: the domain already has {_options.MaxTemplatesPerDomain}");
            return;
        }

        if (!HasOctets(fields))
        {
            Reject("bad-template", at, $"template {templateId} describes records of zero octets");
            return;
        }

        // Room is made before the template is built: a flood that cannot be kept allocates nothing.
        if (MakeRoomForTemplates(domain, cost - freed) is { } budget)
        {
            Reject("too-many-templates", at, $"template {templateId} of domain {domain.Key.DomainId} of {domain.Key.Exporter} not kept: it would pass {budget}");
            return;
        }

        var template = new Template(templateId, options, fields, scopeCount, _templateArrays) { RefreshedAt = _clock };
        domain.Templates[templateId] = template;
        existing?.Release(_templateArrays);
        domain.Lost?.Remove(templateId);
        AddTemplateBytes(domain, cost - freed);

        Statistics.TemplatesLearned++;
        Skip("template", at, $"{(options ? "options template" : "template")} {templateId}");
        if (domain.Pending is { Count: > 0 })
        {
            ReplayPending(domain, templateId, ref sink);
        }
    }

    /// <summary>
    /// The field list of a template too long for the stack, in one array the decoder keeps (it grows to the longest
    /// template seen, at most 65,535 fields): a flood of long templates, re-sent or rejected, allocates nothing each time.
    /// </summary>
    private Span<TemplateField> LargeFieldScratch(int fieldCount)
    {
        if (_largeFields.Length < fieldCount)
        {
            _largeFields = new TemplateField[fieldCount];
        }

        return _largeFields.AsSpan(0, fieldCount);
    }

    private static long TemplateCost(int fieldCount) => TemplateOverheadBytes + ((long)TemplateFieldBytes * fieldCount);

    /// <summary>Gets whether a template's records have at least one octet (a variable-length field counts): others are rejected.</summary>
    private static bool HasOctets(ReadOnlySpan<TemplateField> fields)
    {
        foreach (var field in fields)
        {
            if (field.Length != 0)
            {
                return true;
            }
        }

        return false;
    }

    private void Withdraw(DomainState domain, ushort templateId, bool options, long at)
    {
        if (_live)
        {
            // RFC 7011 section 8.4: withdrawals must not be sent over UDP and must be ignored there (any sender could spoof one).
            Skip("template", at, $"withdrawal of template {templateId} ignored: withdrawals are not valid over UDP (RFC 7011 section 8.4)");
            return;
        }

        if (templateId == (options ? 3 : 2))
        {
            // All (options) templates of the domain (RFC 7011 section 8.1); removing while enumerating is allowed for Dictionary.
            foreach (var (id, t) in domain.Templates)
            {
                if (t.IsOptions == options)
                {
                    Withdrawn(domain, id);
                }
            }
        }
        else if (templateId < 256)
        {
            Reject("bad-template-id", at, $"withdrawal of template id {templateId}");
            return;
        }
        else
        {
            Withdrawn(domain, templateId);
        }

        Skip("template", at, $"withdrawal of template {templateId}");
    }

    private void Withdrawn(DomainState domain, ushort templateId)
    {
        if (domain.Templates.Remove(templateId, out var removed))
        {
            AddTemplateBytes(domain, -TemplateCost(removed.FieldCount));
            removed.Release(_templateArrays);
            Statistics.TemplatesWithdrawn++;
        }
    }
}
