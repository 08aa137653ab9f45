namespace PortMismatch.Detection.Fuzz;

/// <summary>
/// The target names, in a class that touches no library type: instrumented library code must not run before
/// <c>Fuzzer.Run</c> has mapped AFL's coverage memory, and a static constructor of <see cref="FuzzTargets"/> would run it.
/// </summary>
public static class TargetNames
{
    /// <summary>Gets the names, as given on the command line.</summary>
    public static IReadOnlyList<string> All { get; } = ["zeek-tsv", "zeek-json", "panos", "ipfix", "netflow9", "pcap", "rules-json", "allowlist-json", "zeek-stream", "gzip", "suricata"];
}
