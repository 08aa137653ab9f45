namespace PortMismatch.Detection;

/// <summary>
/// A per-rule exception: traffic the rule would flag but an organisation accepts ("our resolver answers on 5353"), without
/// dropping the rule. It applies when every condition it sets holds (at least one must be set); the mandatory comment says why.
/// The evaluator checks exemptions only after a value is found to mismatch; an exemption that sets ports only is compiled
/// into the rule's port bitmap and costs nothing.
/// </summary>
public sealed class RuleExemption
{
    /// <summary>Creates an exemption; set its conditions with the init properties.</summary>
    /// <param name="comment">Why the traffic is accepted; not blank.</param>
    /// <exception cref="ArgumentException">The comment is blank.</exception>
    public RuleExemption(string comment)
    {
        Comment = string.IsNullOrWhiteSpace(comment)
            ? throw new ArgumentException("A rule exemption needs a comment that says why the traffic is accepted.", nameof(comment))
            : comment;
    }

    /// <summary>Gets why the traffic is accepted.</summary>
    public string Comment { get; }

    /// <summary>Gets the source network the flow must come from; <see langword="null"/> for any.</summary>
    public IPNetworkValue? SourceNetwork { get; init; }

    /// <summary>Gets the destination network the flow must go to; <see langword="null"/> for any.</summary>
    public IPNetworkValue? DestinationNetwork { get; init; }

    /// <summary>Gets the destination ports the flow must use; <see langword="null"/> for any.</summary>
    public PortSet? DestinationPorts { get; init; }

    /// <summary>Gets whether the exemption sets at least one condition.</summary>
    internal bool HasCondition => SourceNetwork is not null || DestinationNetwork is not null || DestinationPorts is { IsEmpty: false };

    /// <summary>Gets whether the exemption needs the flow's addresses (it sets a network).</summary>
    internal bool NeedsAddresses => SourceNetwork is not null || DestinationNetwork is not null;

    /// <summary>Gets whether the exemption covers a flow.</summary>
    /// <param name="source">The source address (<see cref="IPAddressValue.None"/> matches no network).</param>
    /// <param name="destination">The destination address (<see cref="IPAddressValue.None"/> matches no network).</param>
    /// <param name="destinationPort">The destination port (0 when absent).</param>
    /// <returns>Whether every condition holds.</returns>
    public bool Matches(IPAddressValue source, IPAddressValue destination, int destinationPort)
        => HasCondition
            && (SourceNetwork is not { } sourceNetwork || sourceNetwork.Contains(source))
            && (DestinationNetwork is not { } destinationNetwork || destinationNetwork.Contains(destination))
            && (DestinationPorts is not { } ports || ports.Contains(destinationPort));

    /// <summary>Returns the comment and conditions.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var parts = new List<string>(3);
        if (SourceNetwork is { } source)
        {
            parts.Add($"source {source}");
        }

        if (DestinationNetwork is { } destination)
        {
            parts.Add($"destination {destination}");
        }

        if (DestinationPorts is { } ports)
        {
            parts.Add($"ports {ports}");
        }

        return $"{string.Join(", ", parts)} ({Comment})";
    }
}
