using System.Buffers;
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

    private readonly TemplateField[] _fields;
    private readonly int _fieldCount;
    private readonly int[]? _fixedSlots;

    /// <summary>Builds a template in arrays rented from <paramref name="arrays"/>; <see cref="Release"/> gives them back.</summary>
    public Template(ushort id, bool isOptions, ReadOnlySpan<TemplateField> fields, int scopeFieldCount, TemplateArrays arrays)
    {
        Id = id;
        IsOptions = isOptions;
        _fields = arrays.RentFields(fields.Length);
        _fieldCount = fields.Length;
        fields.CopyTo(_fields);
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
            _fixedSlots = arrays.RentSlots();
            var offset = 0;
            foreach (var f in fields)
            {
                FieldSlots.Set(_fixedSlots, f.Role, offset, f.Length);
                offset += f.Length;
            }
        }
    }

    public ushort Id { get; }

    public bool IsOptions { get; }

    public ReadOnlySpan<TemplateField> Fields => _fields.AsSpan(0, _fieldCount);

    public int FieldCount => _fieldCount;

    public int ScopeFieldCount { get; }

    public bool IsVariableLength { get; }

    public int FixedLength { get; }

    /// <summary>Gets the shortest possible record (each variable-length field at least its 1-octet length prefix).</summary>
    public int MinimumLength { get; }

    /// <summary>Gets whether the template carries RFC 5103 reverse elements: its records are biflows, oriented initiator first.</summary>
    public bool IsBiflow { get; }

    /// <summary>Gets whether the template carries an address or a port: records of other templates are not flows.</summary>
    public bool IsFlow { get; }

    /// <summary>Gets the field slots of a fixed-length template (see <see cref="FieldSlots"/>); empty for variable-length ones.</summary>
    public ReadOnlySpan<int> FixedSlots => _fixedSlots.AsSpan(0, _fixedSlots is null ? 0 : (int)FieldRole.Count);

    /// <summary>Gets or sets the collector's monotonic clock (microseconds) when the template was last received; 0 without a clock.</summary>
    public long RefreshedAt { get; set; }

    /// <summary>Gets whether a template record describes this same layout (a periodic re-send).</summary>
    public bool SameLayout(bool isOptions, int scopeFieldCount, ReadOnlySpan<TemplateField> fields)
        => isOptions == IsOptions && scopeFieldCount == ScopeFieldCount && fields.SequenceEqual(Fields);

    /// <summary>Gives the template's arrays back; the template must not be used afterwards.</summary>
    public void Release(TemplateArrays arrays) => arrays.Return(_fields, _fixedSlots);
}

/// <summary>
/// Recycles the arrays of templates that were replaced, withdrawn, expired or evicted. Floods from spoofed senders churn
/// the template table (each new sender evicts the least recently used); without recycling every template they send is
/// garbage that lives until evicted, and the collections that follow cost more than decoding. Bounded: at most
/// <see cref="ArraysPerSize"/> arrays of each power-of-two size up to <see cref="MaxPooledFields"/> fields are kept.
/// </summary>
internal sealed class TemplateArrays
{
    public const int MaxPooledFields = 1024;
    public const int ArraysPerSize = 64;

    private readonly ArrayPool<TemplateField> _fields = ArrayPool<TemplateField>.Create(MaxPooledFields, ArraysPerSize);
    private readonly Stack<int[]> _slots = new();

    public TemplateField[] RentFields(int count) => _fields.Rent(count);

    public int[] RentSlots()
    {
        if (_slots.TryPop(out var slots))
        {
            Array.Clear(slots);
            return slots;
        }

        return new int[(int)FieldRole.Count];
    }

    public void Return(TemplateField[] fields, int[]? slots)
    {
        _fields.Return(fields);
        if (slots is not null && _slots.Count < ArraysPerSize * 4)
        {
            _slots.Push(slots);
        }
    }
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
