namespace PortMismatch.Detection.Tests.Rules;

/// <summary>
/// The rule-pack tests load and compile the 2,251-rule PAN-OS pack and run large properties: tens of MiB of short-lived
/// garbage. Run in parallel with the suite, the GCs they cause can shift <see cref="GC.GetAllocatedBytesForCurrentThread"/>
/// readings of the zero-allocation tests by a few hundred bytes, so they run on their own, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RulePacksCollection
{
    public const string Name = "rule packs";
}
