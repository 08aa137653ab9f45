namespace PortMismatch.Detection;

/// <summary>The rules given by <see cref="PortMismatchDetectionBuilder.UseRules(Func{IServiceProvider, RuleSet})"/>.</summary>
internal sealed class RulesFromCode(Func<IServiceProvider, RuleSet> factory)
{
    public RuleSet Create(IServiceProvider provider) => factory(provider)
        ?? throw new InvalidOperationException("The rule factory given to UseRules returned null; return a RuleSet (RuleSet.Escu for the default rules).");
}

/// <summary>The allow-list given by <see cref="PortMismatchDetectionBuilder.UseAllowList(Func{IServiceProvider, AllowList})"/>.</summary>
internal sealed class AllowListFromCode(Func<IServiceProvider, AllowList> factory)
{
    public AllowList Create(IServiceProvider provider) => factory(provider)
        ?? throw new InvalidOperationException("The allow-list factory given to UseAllowList returned null; return an AllowList (AllowList.Empty for none).");
}

/// <summary>The first-seen settings given by <see cref="PortMismatchDetectionBuilder.UseFirstSeenStore"/>.</summary>
internal sealed record FirstSeenFromCode(int? SuppressSeenOnDays);
