namespace PortMismatch.Detection.Zeek;

/// <summary>Which Zeek writer produced the input, as detected from its first line.</summary>
public enum ZeekLogFormat
{
    /// <summary>Nothing read yet.</summary>
    Unknown = 0,

    /// <summary>The ASCII writer's tab-separated format with <c>#</c> header lines (or headerless TSV with a caller-supplied field list).</summary>
    Tsv = 1,

    /// <summary>The ASCII writer with <c>LogAscii::use_json</c>: one JSON object per line.</summary>
    Json = 2,
}
