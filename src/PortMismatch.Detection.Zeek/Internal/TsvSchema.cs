using System.Text;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>What a TSV header directive did.</summary>
internal enum HeaderStatus
{
    Ok = 0,
    InvalidSeparator = 1,
    InvalidColumnName = 2,
    MissingColumns = 3,
}

/// <summary>
/// The state of the current TSV header block: separators, unset/empty markers, the log path and where each needed
/// column is. A <c>#separator</c> line starts a new block; a <c>#fields</c> line replaces the column map.
/// </summary>
internal sealed class TsvSchema
{
    public const int NoColumn = -1;

    private static readonly byte[] DefaultEmpty = "(empty)"u8.ToArray();
    private static readonly byte[] DefaultUnset = "-"u8.ToArray();

    // How the last '#fields' line of the block went. A block of another log keeps an unusable column map (its records
    // are skipped); a later '#path' that names conn must not make those records readable with it.
    private HeaderStatus _columnsStatus;
    private string? _columnsDetail;

    public TsvSchema(byte separator) => ResetBlock(separator);

    public byte Separator { get; private set; }

    public byte SetSeparator { get; private set; }

    public byte[] EmptyField { get; private set; } = DefaultEmpty;

    public byte[] UnsetField { get; private set; } = DefaultUnset;

    /// <summary>Gets whether the block's <c>#path</c> names a log other than conn (its records are skipped).</summary>
    public bool IsOtherPath { get; private set; }

    /// <summary>Gets the <c>#path</c> value of the block (for messages), or null.</summary>
    public string? Path { get; private set; }

    /// <summary>Gets the number of columns, 0 when no <c>#fields</c> line has been seen in this block.</summary>
    public int FieldCount { get; private set; }

    /// <summary>Gets the names missing after the last <c>#fields</c> (for the message), or null.</summary>
    public string? Detail { get; private set; }

    public int Ts { get; private set; }

    public int OrigH { get; private set; }

    public int OrigP { get; private set; }

    public int RespH { get; private set; }

    public int RespP { get; private set; }

    public int Proto { get; private set; }

    public int Service { get; private set; }

    public int SpeculativeService { get; private set; }

    public int OrigBytes { get; private set; }

    public int RespBytes { get; private set; }

    public int OrigPackets { get; private set; }

    public int RespPackets { get; private set; }

    public int Uid { get; private set; }

    /// <summary>Applies a header line (starting with <c>#</c>). Unknown directives (<c>#open</c>, <c>#close</c>, <c>#types</c>, comments) are ignored.</summary>
    public HeaderStatus Apply(ReadOnlySpan<byte> line, bool acceptAnyPath)
    {
        Detail = null;
        if (line.StartsWith("#separator"u8) && line.Length > 10 && (line[10] == (byte)' ' || line[10] == Separator))
        {
            if (!TryDecodeSingleByte(line[11..], out var separator))
            {
                Detail = "#separator must be one byte";
                return HeaderStatus.InvalidSeparator;
            }

            ResetBlock(separator);
            return HeaderStatus.Ok;
        }

        var at = line.IndexOf(Separator);
        if (at < 0)
        {
            return HeaderStatus.Ok;
        }

        var name = line[..at];
        var value = line[(at + 1)..];
        if (name.SequenceEqual("#fields"u8))
        {
            return ApplyFields(value, acceptAnyPath);
        }

        if (name.SequenceEqual("#set_separator"u8))
        {
            if (!TryDecodeSingleByte(value, out var setSeparator) || setSeparator == Separator)
            {
                Detail = "#set_separator must be one byte other than the separator";
                return HeaderStatus.InvalidSeparator;
            }

            SetSeparator = setSeparator;
        }
        else if (name.SequenceEqual("#empty_field"u8))
        {
            EmptyField = Decode(value);
        }
        else if (name.SequenceEqual("#unset_field"u8))
        {
            UnsetField = Decode(value);
        }
        else if (name.SequenceEqual("#path"u8))
        {
            var path = Decode(value);
            Path = Encoding.UTF8.GetString(path);
            IsOtherPath = !IsConnPath(path);
            if (!IsOtherPath && _columnsStatus != HeaderStatus.Ok)
            {
                Detail = _columnsDetail;
                return _columnsStatus;
            }
        }

        return HeaderStatus.Ok;
    }

    /// <summary>Gets whether a log path names a conn log: <c>conn</c>, <c>conn_*</c> (Corelight's conn_long, conn_red) or <c>conn-*</c> (filters).</summary>
    public static bool IsConnPath(ReadOnlySpan<byte> path)
        => path.SequenceEqual("conn"u8) || (path.Length > 5 && path.StartsWith("conn"u8) && path[4] is (byte)'_' or (byte)'-');

    private HeaderStatus ApplyFields(ReadOnlySpan<byte> value, bool acceptAnyPath)
    {
        var names = new List<string>();
        while (true)
        {
            var at = value.IndexOf(Separator);
            names.Add(Encoding.UTF8.GetString(Decode(at < 0 ? value : value[..at])));
            if (at < 0)
            {
                break;
            }

            value = value[(at + 1)..];
        }

        var status = SetColumns(names);
        _columnsStatus = status;
        _columnsDetail = Detail;
        if (status != HeaderStatus.Ok && IsOtherPath && !acceptAnyPath)
        {
            // The block's records are skipped as another log's: its columns do not matter.
            return HeaderStatus.Ok;
        }

        return status;
    }

    /// <summary>Uses a caller-supplied column list (headerless input).</summary>
    public HeaderStatus SetColumns(IReadOnlyList<string> names)
    {
        Ts = OrigH = OrigP = RespH = RespP = Proto = Service = SpeculativeService = NoColumn;
        OrigBytes = RespBytes = OrigPackets = RespPackets = Uid = NoColumn;
        FieldCount = names.Count;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            if (name.Length == 0 || !seen.Add(name))
            {
                Detail = name.Length == 0 ? $"column {i + 1} has no name" : $"column '{InputText.Escape(Encoding.UTF8.GetBytes(name))}' appears twice";
                return HeaderStatus.InvalidColumnName;
            }

            switch (name)
            {
                case "ts": Ts = i; break;
                case "id.orig_h": OrigH = i; break;
                case "id.orig_p": OrigP = i; break;
                case "id.resp_h": RespH = i; break;
                case "id.resp_p": RespP = i; break;
                case "proto": Proto = i; break;
                case "service": Service = i; break;
                case "speculative_service": SpeculativeService = i; break;
                case "orig_bytes": OrigBytes = i; break;
                case "resp_bytes": RespBytes = i; break;
                case "orig_pkts": OrigPackets = i; break;
                case "resp_pkts": RespPackets = i; break;
                case "uid": Uid = i; break;
                default: break;
            }
        }

        var missing = new List<string>();
        AddIfMissing(missing, Ts, "ts");
        AddIfMissing(missing, OrigH, "id.orig_h");
        AddIfMissing(missing, OrigP, "id.orig_p");
        AddIfMissing(missing, RespH, "id.resp_h");
        AddIfMissing(missing, RespP, "id.resp_p");
        AddIfMissing(missing, Service, "service");
        if (missing.Count > 0)
        {
            Detail = $"the header has no column {string.Join(", ", missing)} (columns: {InputText.Escape(Encoding.UTF8.GetBytes(string.Join(" ", names)))})";
            return HeaderStatus.MissingColumns;
        }

        return HeaderStatus.Ok;
    }

    private static void AddIfMissing(List<string> missing, int column, string name)
    {
        if (column == NoColumn)
        {
            missing.Add(name);
        }
    }

    private void ResetBlock(byte separator)
    {
        Separator = separator;
        SetSeparator = separator == (byte)',' ? (byte)'|' : (byte)',';
        EmptyField = DefaultEmpty;
        UnsetField = DefaultUnset;
        IsOtherPath = false;
        Path = null;
        FieldCount = 0;
        _columnsStatus = HeaderStatus.Ok;
        _columnsDetail = null;
        Ts = OrigH = OrigP = RespH = RespP = Proto = Service = SpeculativeService = NoColumn;
        OrigBytes = RespBytes = OrigPackets = RespPackets = Uid = NoColumn;
    }

    private static byte[] Decode(ReadOnlySpan<byte> value)
    {
        var decoded = new byte[value.Length];
        return decoded.AsSpan(0, ZeekEscapes.Unescape(value, decoded)).ToArray();
    }

    private static bool TryDecodeSingleByte(ReadOnlySpan<byte> value, out byte decoded)
    {
        Span<byte> buffer = stackalloc byte[8];
        decoded = 0;
        if (value.IsEmpty || value.Length > buffer.Length || ZeekEscapes.Unescape(value, buffer) != 1)
        {
            return false;
        }

        decoded = buffer[0];
        return decoded is not ((byte)'\n' or (byte)'\r');
    }
}
