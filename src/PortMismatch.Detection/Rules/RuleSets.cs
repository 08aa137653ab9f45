using System.Collections.Immutable;
using System.Reflection;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// The built-in rule sets by their stable names, and rule selections such as <c>extended,panos-appid,./mine.json</c>
/// combined into one <see cref="RuleSet"/>: <c>escu</c> (<see cref="RuleSet.Escu"/>, the default), <c>extended</c>
/// (<see cref="RuleSet.Extended"/>) and <c>panos-appid</c> (<see cref="RuleSet.PanOsAppId"/>).
/// </summary>
public static class RuleSets
{
    /// <summary>The name of <see cref="RuleSet.Escu"/>.</summary>
    public const string EscuName = "escu";

    /// <summary>The name of <see cref="RuleSet.Extended"/>.</summary>
    public const string ExtendedName = "extended";

    /// <summary>The name of <see cref="RuleSet.PanOsAppId"/>.</summary>
    public const string PanOsAppIdName = "panos-appid";

    private const string PanOsResource = "PortMismatch.Detection.Rules.Packs.panos-appid.json";

    private static readonly Lazy<RuleSet> PanOs = new(LoadPanOs, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Gets the names of the built-in sets, in the order they are documented.</summary>
    public static ImmutableArray<string> Names { get; } = [EscuName, ExtendedName, PanOsAppIdName];

    internal static RuleSet PanOsAppId => PanOs.Value;

    /// <summary>Gets a built-in set by name (ignoring ASCII case).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The set.</returns>
    /// <exception cref="ConfigurationFormatException">The name is not a built-in set's; the message lists the names.</exception>
    public static RuleSet Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryGet(name, out var set)
            ? set
            : throw new ConfigurationFormatException(
                $"Unknown rule set '{TextEscaper.Escape(name)}': the built-in sets are {string.Join(", ", Names)}; a rule file's name ends in .json or has a directory.", "$");
    }

    /// <summary>Gets a built-in set by name (ignoring ASCII case).</summary>
    /// <param name="name">The name.</param>
    /// <param name="set">The set, when the name is known.</param>
    /// <returns>Whether the name is a built-in set's.</returns>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RuleSet? set)
    {
        ArgumentNullException.ThrowIfNull(name);
        set = name.Trim().ToUpperInvariant() switch
        {
            "ESCU" => RuleSet.Escu,
            "EXTENDED" => RuleSet.Extended,
            "PANOS-APPID" => RuleSet.PanOsAppId,
            _ => null,
        };
        return set is not null;
    }

    /// <summary>
    /// Parses a selection: built-in set names and rule-file paths separated by commas (<c>extended,panos-appid</c>,
    /// <c>escu,my-rules.json</c>), combined in order into one set. An item is a file when it ends in <c>.json</c> or holds a
    /// directory separator; otherwise it must be a built-in name. A single built-in name returns that set itself.
    /// </summary>
    /// <param name="selection">The selection.</param>
    /// <returns>The combined set.</returns>
    /// <exception cref="ConfigurationFormatException">
    /// An item is empty, an unknown name, or an invalid rule file; or two items define the same rule id (or one item is given twice).
    /// </exception>
    /// <exception cref="IOException">A rule file cannot be read.</exception>
    public static RuleSet Parse(string selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var items = selection.Split(',', StringSplitOptions.TrimEntries);
        var sets = new List<(string Item, RuleSet Set)>(items.Length);
        foreach (var item in items)
        {
            if (item.Length == 0)
            {
                throw new ConfigurationFormatException(
                    $"The rule selection '{TextEscaper.Escape(selection)}' has an empty item; separate set names and rule files with single commas.", "$");
            }

            sets.Add((item, IsFile(item) ? RuleSetJson.Load(item) : Get(item)));
        }

        return sets.Count == 1 ? sets[0].Set : Combine(sets);
    }

    /// <summary>Combines sets into one, keeping their order; rule ids must stay unique.</summary>
    /// <param name="sets">The sets.</param>
    /// <returns>The combined set.</returns>
    /// <exception cref="ConfigurationFormatException">Two sets define the same rule id.</exception>
    public static RuleSet Combine(IEnumerable<RuleSet> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        var index = 0;
        return Combine(sets.Select(set => (string.Create(System.Globalization.CultureInfo.InvariantCulture, $"set {++index}"), set)).ToList());
    }

    private static RuleSet Combine(List<(string Item, RuleSet Set)> sets)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var rules = new List<DetectionRule>();
        foreach (var (item, set) in sets)
        {
            ArgumentNullException.ThrowIfNull(set);
            foreach (var rule in set)
            {
                if (!owners.TryAdd(rule.Id, item))
                {
                    throw new ConfigurationFormatException(
                        $"The rule id '{TextEscaper.Escape(rule.Id)}' is defined by both '{TextEscaper.Escape(owners[rule.Id])}' and '{TextEscaper.Escape(item)}'; rule ids must be unique across combined sets.",
                        "$");
                }

                rules.Add(rule);
            }
        }

        return new RuleSet(rules);
    }

    private static bool IsFile(string item)
        => item.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || item.Contains('/', StringComparison.Ordinal) || item.Contains('\\', StringComparison.Ordinal);

    private static RuleSet LoadPanOs()
    {
        using var stream = typeof(RuleSets).Assembly.GetManifestResourceStream(PanOsResource)
            ?? throw new InvalidOperationException($"The embedded resource {PanOsResource} is missing from {typeof(RuleSets).Assembly.GetName().Name}.");
        return RuleSetJson.Read(stream);
    }
}
