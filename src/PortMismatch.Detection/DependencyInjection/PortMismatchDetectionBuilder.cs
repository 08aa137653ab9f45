using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PortMismatch.Detection;

/// <summary>
/// Returned by <c>AddPortMismatchDetection</c>; the adapter packages extend it with their sources
/// (<c>AddZeek()</c>, <c>AddPanOs()</c>, <c>AddIpfix()</c>), and rules and an allow-list built in code are given here.
/// </summary>
public sealed class PortMismatchDetectionBuilder
{
    internal PortMismatchDetectionBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection the detection is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Detects with rules built in code (<c>new RuleSet([.. RuleSet.Escu, myRule])</c>, <see cref="RuleSetJson"/>) instead of
    /// <see cref="PortMismatchDetectionOptions.Rules"/>. Setting both is an error
    /// when the host starts (an <c>OptionsValidationException</c>); calling this again replaces the rules.
    /// </summary>
    /// <param name="rules">The rules.</param>
    /// <returns>The builder.</returns>
    public PortMismatchDetectionBuilder UseRules(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return UseRules(_ => rules);
    }

    /// <summary>
    /// Detects with rules that <paramref name="factory"/> builds from the container's services (a rule store, the host's
    /// configuration) when the pipeline is first resolved, instead of <see cref="PortMismatchDetectionOptions.Rules"/>.
    /// Setting both is an error when the host starts; calling this again replaces the rules.
    /// </summary>
    /// <param name="factory">Builds the rules, once.</param>
    /// <returns>The builder.</returns>
    public PortMismatchDetectionBuilder UseRules(Func<IServiceProvider, RuleSet> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAll<RulesFromCode>();
        Services.AddSingleton(new RulesFromCode(factory));
        return this;
    }

    /// <summary>
    /// Removes the rows the allow-list built in code matches (<see cref="AllowList"/>, <see cref="AllowListJson"/>), instead
    /// of the file <see cref="PortMismatchDetectionOptions.AllowList"/>. Setting both is an error when the host starts;
    /// calling this again replaces the allow-list.
    /// </summary>
    /// <param name="allowList">The allow-list.</param>
    /// <returns>The builder.</returns>
    public PortMismatchDetectionBuilder UseAllowList(AllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        return UseAllowList(_ => allowList);
    }

    /// <summary>
    /// Removes the rows matched by the allow-list that <paramref name="factory"/> builds from the container's services when
    /// the pipeline is first resolved, instead of the file <see cref="PortMismatchDetectionOptions.AllowList"/>. Setting
    /// both is an error when the host starts; calling this again replaces the allow-list.
    /// </summary>
    /// <param name="factory">Builds the allow-list, once.</param>
    /// <returns>The builder.</returns>
    public PortMismatchDetectionBuilder UseAllowList(Func<IServiceProvider, AllowList> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAll<AllowListFromCode>();
        Services.AddSingleton(new AllowListFromCode(factory));
        return this;
    }

    /// <summary>
    /// Looks every row up in, and adds it to, the first-seen store at <paramref name="path"/> (opened when the pipeline is
    /// first resolved, locked while the container lives, saved at the end of each run): rows then carry first_seen, new and
    /// days_seen, and with <paramref name="suppressSeenOnDays"/> the rows whose pair was seen on at least that many earlier
    /// UTC days are removed as baseline (counted). Calling this again replaces the store.
    /// </summary>
    /// <param name="path">The store's file (made at the first save when missing).</param>
    /// <param name="suppressSeenOnDays">Earlier days that suppress a row, or <see langword="null"/> to suppress none.</param>
    /// <param name="options">The store's options (its size bound); <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    public PortMismatchDetectionBuilder UseFirstSeenStore(string path, int? suppressSeenOnDays = null, FirstSeenStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(suppressSeenOnDays ?? 1, 1, nameof(suppressSeenOnDays));
        Services.RemoveAll<FirstSeenFromCode>();
        Services.RemoveAll<FirstSeenStore>();
        Services.AddSingleton(new FirstSeenFromCode(suppressSeenOnDays));
        Services.AddSingleton(_ => FirstSeenStore.Open(path, options));
        return this;
    }
}
