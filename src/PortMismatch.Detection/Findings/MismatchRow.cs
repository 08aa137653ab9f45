using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// One result row of the search: <c>src_ip, dest_ip, app, dest_port, count, firstTime, lastTime</c>, plus what a library user
/// needs to act on it (the rule, its risk score and ATT&amp;CK ids, the transports seen, a message).
/// </summary>
public sealed class MismatchRow
{
    private long? _firstSeen;
    private bool _isNew;
    private int? _earlierDays;
    private MismatchEvidence? _evidence;

    /// <summary>Creates a row.</summary>
    /// <param name="sourceAddress">src_ip (<see cref="IPAddressValue.None"/> prints as <c>null</c>).</param>
    /// <param name="destinationAddress">dest_ip.</param>
    /// <param name="app">The app value's text (see <see cref="App"/>).</param>
    /// <param name="destinationPort">dest_port (0 when the records had none).</param>
    /// <param name="count">The number of records.</param>
    /// <param name="firstTimeMicroseconds">min(_time), Unix microseconds.</param>
    /// <param name="lastTimeMicroseconds">max(_time), Unix microseconds.</param>
    /// <param name="rule">The rule the app value breaks; <see langword="null"/> for a value that breaks none (literal tstats grouping).</param>
    /// <param name="transports">The transports of the records.</param>
    public MismatchRow(
        IPAddressValue sourceAddress,
        IPAddressValue destinationAddress,
        string app,
        int destinationPort,
        long count,
        long firstTimeMicroseconds,
        long lastTimeMicroseconds,
        DetectionRule? rule,
        ImmutableArray<Transport> transports)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)destinationPort, (uint)ushort.MaxValue, nameof(destinationPort));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        SourceAddress = sourceAddress;
        DestinationAddress = destinationAddress;
        App = app;
        DestinationPort = destinationPort;
        Count = count;
        FirstTimeMicroseconds = firstTimeMicroseconds;
        LastTimeMicroseconds = lastTimeMicroseconds;
        Rule = rule;
        Transports = transports.IsDefault ? ImmutableArray<Transport>.Empty : transports;
    }

    /// <summary>Gets src_ip.</summary>
    public IPAddressValue SourceAddress { get; }

    /// <summary>Gets dest_ip.</summary>
    public IPAddressValue DestinationAddress { get; }

    /// <summary>
    /// Gets the app value's text. Rows from the aggregator print the value's bytes as Zeek's ASCII log writer prints a
    /// string: well-formed UTF-8 as it is; a backslash, a control character below U+0020, DEL, and each byte that is not
    /// part of well-formed UTF-8 as <c>\xHH</c> (lower-case hex). Every backslash starts such an escape, so the text is
    /// exact: replacing each <c>\xHH</c> by its byte gives the value back, and two different values never share a text.
    /// </summary>
    public string App { get; }

    /// <summary>Gets dest_port.</summary>
    public int DestinationPort { get; }

    /// <summary>Gets the number of records in the group.</summary>
    public long Count { get; }

    /// <summary>Gets firstTime (min _time) in Unix microseconds.</summary>
    public long FirstTimeMicroseconds { get; }

    /// <summary>Gets lastTime (max _time) in Unix microseconds.</summary>
    public long LastTimeMicroseconds { get; }

    /// <summary>Gets the rule the app value breaks, or <see langword="null"/> for a value that breaks none (literal tstats grouping only).</summary>
    public DetectionRule? Rule { get; }

    /// <summary>Gets the rule's risk score, 0 without a rule.</summary>
    public int RiskScore => Rule?.RiskScore ?? 0;

    /// <summary>Gets the rule's ATT&amp;CK technique ids.</summary>
    public ImmutableArray<string> Techniques => Rule?.Techniques ?? ImmutableArray<string>.Empty;

    /// <summary>Gets the transports of the records in the group, in enum order.</summary>
    public ImmutableArray<Transport> Transports { get; }

    /// <summary>Gets the start of the tumbling window (Unix microseconds), or <see langword="null"/> for one aggregate over all input.</summary>
    public long? WindowStartMicroseconds { get; init; }

    /// <summary>Gets the end (exclusive) of the tumbling window, or <see langword="null"/>.</summary>
    public long? WindowEndMicroseconds { get; init; }

    /// <summary>
    /// Gets whether the row was emitted before its group was complete (the group bound or the app-value bound was reached):
    /// later rows with the same key continue the count. Summing rows by key gives the exact totals.
    /// </summary>
    public bool IsPartial { get; init; }

    /// <summary>
    /// Gets whether the row holds records that arrived after their window was emitted: it adds to that window's earlier
    /// rows (late records of a window are counted together and emitted when the next window closes).
    /// </summary>
    public bool IsLate { get; init; }

    /// <summary>
    /// Gets when the row's pair (src_ip, dest_ip, dest_port, app) was first seen, by the records' time (Unix microseconds),
    /// from a <see cref="FirstSeenStore"/> and this row; <see langword="null"/> when no store is in use.
    /// </summary>
    public long? FirstSeenMicroseconds { get => _firstSeen; init => _firstSeen = value; }

    /// <summary>Gets whether a <see cref="FirstSeenStore"/> knew no record of the row's pair from before the row's first time (false when no store is in use).</summary>
    public bool IsNew { get => _isNew; init => _isNew = value; }

    /// <summary>
    /// Gets on how many distinct UTC days before the day of the row's last time a <see cref="FirstSeenStore"/> saw the row's
    /// pair, or <see langword="null"/> when no store is in use.
    /// </summary>
    public int? EarlierDaysSeen { get => _earlierDays; init => _earlierDays = value; }

    /// <summary>
    /// Gets what the sensor's other logs say about the row's flows (server names, user agents, Community IDs, ...), or
    /// null when evidence was not joined or none was found. Set by <see cref="EvidenceJoin.Attach"/> before the row is
    /// handed to any sink.
    /// </summary>
    public MismatchEvidence? Evidence { get => _evidence; init => _evidence = value; }

    /// <summary>Gets what was found and what was expected: <c>ssl on tcp/4444 from 10.1.0.13 to 192.0.2.66; expected ports 443, 8443</c>.</summary>
    public string Message
    {
        get
        {
            var text = new StringBuilder();
            text.Append(App).Append(" on ");
            if (Transports.IsEmpty || (Transports.Length == 1 && Transports[0] == Transport.Unknown))
            {
                text.Append("port ");
            }
            else
            {
                text.AppendJoin('+', Transports.Select(t => t.ToName())).Append('/');
            }

            text.Append(CultureInfo.InvariantCulture, $"{DestinationPort} from {FormatAddress(SourceAddress)} to {FormatAddress(DestinationAddress)}");
            text.Append(Rule is null
                ? "; no rule claims this value (the record was selected for another of its app values)"
                : $"; expected ports {Rule.ExpectedPorts}");
            return text.ToString();
        }
    }

    /// <summary>Returns the row as the search prints it, comma-separated, times in UTC.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join(
        ',',
        FormatAddress(SourceAddress),
        FormatAddress(DestinationAddress),
        App,
        DestinationPort.ToString(CultureInfo.InvariantCulture),
        Count.ToString(CultureInfo.InvariantCulture),
        RowTime.Format(FirstTimeMicroseconds, null),
        RowTime.Format(LastTimeMicroseconds, null));

    /// <summary>A copy of the row (every other member as it is) with what a <see cref="FirstSeenStore"/> found for it.</summary>
    internal MismatchRow WithFirstSeen(FirstSeenObservation observation)
    {
        var copy = (MismatchRow)MemberwiseClone();
        copy._firstSeen = observation.FirstSeenMicroseconds;
        copy._isNew = observation.IsNew;
        copy._earlierDays = observation.EarlierDays;
        return copy;
    }
    /// <summary>Gives the row its evidence; only before the row is published (an <see cref="EvidenceJoin"/> attaches it).</summary>
    internal void AttachEvidence(MismatchEvidence evidence) => _evidence = evidence;

    internal static string FormatAddress(IPAddressValue address) => address.HasValue ? address.ToString() : "null";
}
