using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// One allow-list entry: a row matches when every condition the entry sets holds (at least one must be set). The mandatory
/// comment says why the traffic is accepted, so the next analyst does not have to guess.
/// </summary>
public sealed class AllowListEntry
{
    /// <summary>Creates an entry; set the conditions with the init properties.</summary>
    /// <param name="comment">Why this traffic is accepted; not blank.</param>
    /// <exception cref="ArgumentException">The comment is blank.</exception>
    public AllowListEntry(string comment)
    {
        Comment = string.IsNullOrWhiteSpace(comment) ? throw new ArgumentException("An allow-list entry needs a comment that says why the traffic is accepted.", nameof(comment)) : comment;
    }

    /// <summary>Gets why the traffic is accepted.</summary>
    public string Comment { get; }

    /// <summary>
    /// Gets the app value to match, ignoring ASCII case, as rows print it (<see cref="MismatchRow.App"/>); <see langword="null"/>
    /// for any. Bytes a row prints escaped must be written escaped here too: a value with a backslash is written <c>\x5c</c>
    /// (<c>a\x5cb</c> for the bytes <c>a\b</c>), a byte that is not UTF-8 as <c>\xHH</c>.
    /// </summary>
    public string? App { get; init; }

    /// <summary>Gets the destination ports to match; <see langword="null"/> for any.</summary>
    public PortSet? DestinationPorts { get; init; }

    /// <summary>Gets the network the source address must be in; <see langword="null"/> for any.</summary>
    public IPNetworkValue? SourceNetwork { get; init; }

    /// <summary>Gets the network the destination address must be in; <see langword="null"/> for any.</summary>
    public IPNetworkValue? DestinationNetwork { get; init; }

    /// <summary>Gets the transport every record of the row must have used; <see langword="null"/> for any.</summary>
    public Transport? Transport { get; init; }

    /// <summary>Gets whether the entry sets at least one condition (an entry without one would allow everything).</summary>
    public bool HasCondition => App is not null || DestinationPorts is not null || SourceNetwork is not null || DestinationNetwork is not null || Transport is not null;

    /// <summary>Gets whether the row matches every condition.</summary>
    /// <param name="row">The row.</param>
    /// <returns>Whether the entry allows the row.</returns>
    public bool Matches(MismatchRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return HasCondition
            && (App is null || DetectionRule.AsciiEqualsIgnoreCase(App, row.App))
            && (DestinationPorts is null || DestinationPorts.Contains(row.DestinationPort))
            && (SourceNetwork is not { } source || source.Contains(row.SourceAddress))
            && (DestinationNetwork is not { } destination || destination.Contains(row.DestinationAddress))
            && (Transport is not { } transport || (row.Transports.Length == 1 && row.Transports[0] == transport));
    }

    /// <summary>Returns the conditions and the comment.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        void Add(string name, object? value)
        {
            if (value is not null)
            {
                text.Append(text.Length == 0 ? string.Empty : " ").Append(name).Append('=').Append(value);
            }
        }

        Add("app", App);
        Add("dest_port", DestinationPorts);
        Add("src", SourceNetwork);
        Add("dest", DestinationNetwork);
        Add("transport", Transport?.ToName());
        return $"{text} ({Comment})";
    }
}
