namespace PortMismatch.Cli;

/// <summary>
/// What a summary adds to a skip reason whose records cannot be detected in at all, so that an input of only such records
/// does not pass for a clean one: "skipped 32 netflow-v5" alone reads like templates or replies, which are normal.
/// </summary>
internal static class SkipReasons
{
    /// <summary>The text after the reason code on a summary's "skipped" line: empty, or ": why, and what to do".</summary>
    public static string Explain(string reason) => reason switch
    {
        "netflow-v5" => ": NetFlow v5 has no application field; nothing can be detected (export IPFIX or NetFlow v9 with application identity)",
        _ => string.Empty,
    };
}
