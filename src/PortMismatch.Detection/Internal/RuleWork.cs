using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// Counts, per thread, the elementary steps of loading and compiling rules: app-name comparisons and hashes, name-table
/// probes, port-range comparisons and merges. A rule file is input too (one rule may list tens of thousands of apps or
/// ports), and a step that grows with the square of a list shows in this count at any size, where time would need a
/// quiet machine; tests bound it. Only the load and compile paths count: nothing that runs per record or per row.
/// </summary>
internal static class RuleWork
{
    [ThreadStatic]
    private static long t_steps;

    /// <summary>Gets the steps counted on this thread so far.</summary>
    public static long Steps => t_steps;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Count() => t_steps++;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Count(long steps) => t_steps += steps;
}
