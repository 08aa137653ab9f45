namespace PortMismatch.Detection.Zeek;

/// <summary>Why a Zeek input cannot be read at all (see <see cref="ZeekFormatException"/>).</summary>
public enum ZeekFormatError
{
    /// <summary>The input starts with neither a Zeek TSV header (<c>#separator</c>...) nor a JSON object, and no field list was given (<c>unrecognized-format</c>).</summary>
    UnrecognizedFormat = 1,

    /// <summary>A TSV data line comes before any <c>#fields</c> line of its header block (<c>missing-header</c>).</summary>
    MissingHeader = 2,

    /// <summary>A conn.log header lacks a column the mapping needs (<c>ts</c>, <c>id.orig_h</c>, <c>id.orig_p</c>, <c>id.resp_h</c>, <c>id.resp_p</c>, <c>service</c>), for example a renamed or cut log (<c>missing-columns</c>).</summary>
    MissingColumns = 3,

    /// <summary>A header line is malformed: a separator that is not one byte, an empty or duplicated column name (<c>invalid-header</c>).</summary>
    InvalidHeader = 4,
}
