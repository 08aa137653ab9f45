using System.Collections.Immutable;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// The built-in allow-lists by their stable names, and selections such as <c>benign,./ours.json</c> combined into one
/// <see cref="AllowList"/>: <c>benign</c> (<see cref="Benign"/>) removes the known-benign rows that the rules, ESCU's
/// above all, cannot tell apart by port (mDNS, LLMNR and NetBIOS-NS that Zeek labels <c>dns</c>, Google and Apple push
/// TLS, IPP printing), so that a user keeps the ESCU rules exact and still sees these rows counted as allow-list removals.
/// </summary>
public static class AllowLists
{
    /// <summary>The name of <see cref="Benign"/>.</summary>
    public const string BenignName = "benign";

    private const string BenignResource = "PortMismatch.Detection.Filtering.Lists.benign.json";

    private static readonly Lazy<AllowList> BenignList = new(LoadBenign, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Gets the names of the built-in allow-lists.</summary>
    public static ImmutableArray<string> Names { get; } = [BenignName];

    /// <summary>
    /// Gets the <c>benign</c> allow-list: <c>dns</c> on 5353/udp (mDNS), 5355 (LLMNR) and 137/udp (NetBIOS-NS), which Zeek's
    /// DNS analyzer labels <c>dns</c>; <c>ssl</c> / <c>tls</c> on tcp/5228-5230 (Google's Firebase Cloud Messaging) and on
    /// tcp/5223 to Apple's 17.0.0.0/8 (Apple Push Notification service); <c>http</c> on tcp/631 (IPP). Each entry's comment
    /// names its source. Loaded from an embedded resource on first use.
    /// </summary>
    public static AllowList Benign => BenignList.Value;

    /// <summary>Gets a built-in allow-list by name (ignoring ASCII case).</summary>
    /// <param name="name">The name.</param>
    /// <param name="allowList">The allow-list, when the name is known.</param>
    /// <returns>Whether the name is a built-in allow-list's.</returns>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AllowList? allowList)
    {
        ArgumentNullException.ThrowIfNull(name);
        allowList = DetectionRule.AsciiEqualsIgnoreCase(name.Trim(), BenignName) ? Benign : null;
        return allowList is not null;
    }

    /// <summary>
    /// Parses a selection: built-in allow-list names and allow-list file paths separated by commas (<c>benign</c>,
    /// <c>benign,ours.json</c>), their entries combined in order. An item is a file when it ends in <c>.json</c> or holds a
    /// directory separator; otherwise it must be a built-in name.
    /// </summary>
    /// <param name="selection">The selection.</param>
    /// <returns>The combined allow-list.</returns>
    /// <exception cref="ConfigurationFormatException">An item is empty, an unknown name or an invalid allow-list file.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static AllowList Parse(string selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var items = selection.Split(',', StringSplitOptions.TrimEntries);
        var lists = new List<AllowList>(items.Length);
        foreach (var item in items)
        {
            if (item.Length == 0)
            {
                throw new ConfigurationFormatException(
                    $"The allow-list selection '{TextEscaper.Escape(selection)}' has an empty item; separate names and files with single commas.", "$");
            }

            if (IsFile(item))
            {
                lists.Add(AllowListJson.Load(item));
            }
            else if (TryGet(item, out var builtIn))
            {
                lists.Add(builtIn);
            }
            else
            {
                throw new ConfigurationFormatException(
                    $"Unknown allow-list '{TextEscaper.Escape(item)}': the built-in allow-lists are {string.Join(", ", Names)}; a file's name ends in .json or has a directory.", "$");
            }
        }

        return lists.Count == 1 ? lists[0] : new AllowList(lists.SelectMany(list => list));
    }

    private static bool IsFile(string item)
        => item.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || item.Contains('/', StringComparison.Ordinal) || item.Contains('\\', StringComparison.Ordinal);

    private static AllowList LoadBenign()
    {
        using var stream = typeof(AllowLists).Assembly.GetManifestResourceStream(BenignResource)
            ?? throw new InvalidOperationException($"The embedded resource {BenignResource} is missing from {typeof(AllowLists).Assembly.GetName().Name}.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return AllowListJson.Parse(buffer.ToArray());
    }
}
