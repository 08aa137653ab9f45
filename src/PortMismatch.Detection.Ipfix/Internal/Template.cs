using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PortMismatch.Detection.Ipfix.Internal;

/// <summary>
/// A decoded (options) template. Fixed-length templates carry precomputed field slots, so a data record costs no walk over
/// its fields; templates with variable-length fields are walked per record.
/// </summary>
internal sealed class Template
{
    public const ushort VariableLength = 65535;

    public Template(ushort id, bool isOptions, TemplateField[] fields, int scopeFieldCount)
    {
        Id = id;
        IsOptions = isOptions;
        Fields = fields;
        ScopeFieldCount = scopeFieldCount;
        var length = 0;
        var variable = false;
        var minimum = 0;
        foreach (var f in fields)
        {
            if (f.Length == VariableLength)
            {
                variable = true;
                minimum += 1;
            }
            else
            {
                length += f.Length;
                minimum += f.Length;
            }

            if (f.Enterprise == InformationElements.ReversePen)
            {
                IsBiflow = true;
            }

            if (f.Role is FieldRole.SourceIPv4 or FieldRole.DestinationIPv4 or FieldRole.SourceIPv6 or FieldRole.DestinationIPv6
                or FieldRole.SourcePort or FieldRole.DestinationPort)
            {
                IsFlow = true;
            }
        }

        IsVariableLength = variable;
        FixedLength = variable ? 0 : length;
        MinimumLength = minimum;
        if (!variable)
        {
            FixedSlots = new int[(int)FieldRole.Count];
            var offset = 0;
            foreach (var f in fields)
            {
                FieldSlots.Set(FixedSlots, f.Role, offset, f.Length);
                offset += f.Length;
            }
        }
    }

    public ushort Id { get; }

    public bool IsOptions { get; }

    public TemplateField[] Fields { get; }

    public int ScopeFieldCount { get; }

    public bool IsVariableLength { get; }

    public int FixedLength { get; }

    /// <summary>Gets the shortest possible record (each variable-length field at least its 1-octet length prefix).</summary>
    public int MinimumLength { get; }

    /// <summary>Gets whether the template carries RFC 5103 reverse elements: its records are biflows, oriented initiator first.</summary>
    public bool IsBiflow { get; }

    /// <summary>Gets whether the template carries an address or a port: records of other templates are not flows.</summary>
    public bool IsFlow { get; }

    public int[]? FixedSlots { get; }

    /// <summary>Gets whether a template record describes this same layout (a periodic re-send).</summary>
    public bool SameLayout(bool isOptions, int scopeFieldCount, ReadOnlySpan<TemplateField> fields)
        => isOptions == IsOptions && scopeFieldCount == ScopeFieldCount && fields.SequenceEqual(Fields);
}

/// <summary>One field specifier of a template, with the role the decoder gives it.</summary>
internal readonly record struct TemplateField(ushort Id, ushort Length, uint Enterprise, FieldRole Role);

/// <summary>Field positions per role, packed as <c>(offset &lt;&lt; 16) | length</c>; 0 = absent (or zero-length).</summary>
internal static class FieldSlots
{
    public static void Set(Span<int> slots, FieldRole role, int offset, int length)
    {
        // The last occurrence wins, as in nfacctd (Huawei templates repeat ports: tunnel header first, then the inner flow);
        // zero-length fields (legal in v9 templates) are absent.
        if (role == FieldRole.None || length == 0)
        {
            return;
        }

        slots[(int)role] = (offset << 16) | length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryGet(ReadOnlySpan<int> slots, FieldRole role, ReadOnlySpan<byte> record, out ReadOnlySpan<byte> value)
    {
        // Every slot array has FieldRole.Count entries (checked by the callers' construction): no bounds check here. The
        // record slice below keeps its check: it guards the input.
        Debug.Assert(slots.Length == (int)FieldRole.Count);
        var packed = Unsafe.Add(ref MemoryMarshal.GetReference(slots), (int)role);
        if (packed == 0)
        {
            value = default;
            return false;
        }

        value = record.Slice(packed >>> 16, packed & 0xFFFF);
        return true;
    }
}
