using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// Decides whether a flow record is a protocol/port mismatch under a <see cref="RuleSet"/>, with the semantics of the
/// Splunk search: an app value matches a rule's app name ignoring ASCII case only; an absent destination port is 0; a
/// multi-valued app is a mismatch when any value is. Compiled once; then each call costs O(1) in the number of rules and
/// ports, allocates nothing, and may run on any number of threads at once. A rule's <see cref="DetectionRule.Exemptions"/>
/// that set ports only are compiled into its port bitmap; those that set a network are checked only after a value is found to
/// mismatch, so traffic on expected ports pays nothing for them.
/// </summary>
public sealed class MismatchEvaluator
{
    private const int TransportCount = 4;

    private readonly AppNameTable _names;
    private readonly PortBitmaps _bitmaps;

    // Per (app id, record transport): offset of the bitmap of ports where the app is a mismatch (-1 when no rule applies),
    // and the rule that every such mismatch breaks first when that rule alone decides (-1 when several rules must be tried).
    private readonly AppTransportMatch[] _matches;

    // Per app id: the rules that claim it, in rule-set order; per rule: offset of the bitmap of ports it does not expect.
    // Storing the complement lets an (app, transport) judged by one rule share that rule's bitmap: a pack of 2,000 App-IDs
    // then needs one bitmap per distinct port set instead of two.
    private readonly int[][] _rulesByApp;
    private readonly int[] _unexpectedPorts;

    // Per rule: the transport it is limited to (Unknown for any), so that naming the broken rule reads a byte array
    // instead of thousands of rule objects.
    private readonly Transport[] _ruleTransports;

    // Per rule: the exemptions that need addresses (checked after a mismatch), or an empty array; whether any rule has one,
    // so that rule sets without them run exactly the code they ran before exemptions existed.
    private readonly RuleExemption[][] _addressExemptions;
    private readonly bool _hasAddressExemptions;

    // Per rule: the name ids of the apps it may be an upgrade of or carried inside (DetectionRule.UpgradeOf; names no rule
    // claims can never be expected, so they are left out). Per name id: whether a rule claiming it has such a list, so that
    // only those values, and only on a port they break, look at the record's other values; whether any rule has one, so
    // that rule sets without (escu) run exactly the code they ran before the relation existed.
    private readonly int[][] _upgradeOf;
    private readonly bool[] _mayBeUpgrade;
    private readonly bool _hasUpgrades;

    /// <summary>Compiles a rule set.</summary>
    /// <param name="rules">The rules.</param>
    public MismatchEvaluator(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules;

        var appIds = new List<string>();
        var idOf = new Dictionary<string, int>(AsciiCaseComparer.Instance);
        var rulesByApp = new List<List<int>>();
        for (var r = 0; r < rules.Count; r++)
        {
            foreach (var app in rules[r].Apps)
            {
                RuleWork.Count();
                if (!idOf.TryGetValue(app, out var id))
                {
                    id = appIds.Count;
                    idOf.Add(app, id);
                    appIds.Add(app);
                    rulesByApp.Add([]);
                }

                rulesByApp[id].Add(r);
            }
        }

        _names = new AppNameTable(appIds);
        var builder = new PortBitmaps.Builder();
        _unexpectedPorts = new int[rules.Count];
        _ruleTransports = new Transport[rules.Count];
        var notExpected = new ulong[rules.Count][];
        _addressExemptions = new RuleExemption[rules.Count][];
        // Rules without port exemptions and with equal expected ports share a bitmap, found by their port set without
        // building it again: a pack of thousands of rules over a few port sets costs a few bitmaps.
        var offsetOfPorts = new Dictionary<PortSet, int>();
        for (var r = 0; r < rules.Count; r++)
        {
            RuleWork.Count();
            var withAddresses = new List<RuleExemption>();
            var portExemptions = false;
            foreach (var exemption in rules[r].Exemptions)
            {
                if (exemption.NeedsAddresses)
                {
                    withAddresses.Add(exemption);
                }
                else
                {
                    portExemptions |= exemption.DestinationPorts is not null;
                }
            }

            _addressExemptions[r] = [.. withAddresses];
            _hasAddressExemptions |= withAddresses.Count > 0;
            _ruleTransports[r] = rules[r].Transport ?? Transport.Unknown;
            if (portExemptions || !offsetOfPorts.TryGetValue(rules[r].ExpectedPorts, out var offset))
            {
                var expected = PortBitmaps.Builder.NewBitmap();
                PortBitmaps.Builder.Add(expected, rules[r].ExpectedPorts);
                foreach (var exemption in rules[r].Exemptions)
                {
                    if (!exemption.NeedsAddresses && exemption.DestinationPorts is { } ports)
                    {
                        PortBitmaps.Builder.Add(expected, ports);
                    }
                }

                for (var w = 0; w < expected.Length; w++)
                {
                    expected[w] = ~expected[w];
                }

                offset = builder.Intern(expected);
                if (!portExemptions)
                {
                    offsetOfPorts[rules[r].ExpectedPorts] = offset;
                }
            }

            _unexpectedPorts[r] = offset;

            // The stored copy: rules with the same ports share one bitmap, so a file of many rules holds one per port set.
            notExpected[r] = builder.Get(offset);
        }

        _rulesByApp = new int[appIds.Count][];
        _matches = new AppTransportMatch[appIds.Count * TransportCount];
        for (var id = 0; id < appIds.Count; id++)
        {
            _rulesByApp[id] = [.. rulesByApp[id]];
            for (var t = 0; t < TransportCount; t++)
            {
                // One applicable rule (or several with the same ports): its own bitmap; more: the union of theirs.
                // (Each distinct bitmap is added once: an app claimed by thousands of rules costs one pass per port set.)
                int offset = -1, first = -1;
                ulong[]? union = null;
                HashSet<int>? added = null;
                foreach (var r in rulesByApp[id])
                {
                    RuleWork.Count();
                    if (!Applies(rules[r], (Transport)t) || _unexpectedPorts[r] == offset)
                    {
                        continue;
                    }

                    if (first < 0)
                    {
                        first = r;
                        offset = _unexpectedPorts[r];
                        continue;
                    }

                    added ??= [offset];
                    if (!added.Add(_unexpectedPorts[r]))
                    {
                        continue;
                    }

                    union ??= (ulong[])notExpected[first].Clone();
                    for (var w = 0; w < union.Length; w++)
                    {
                        union[w] |= notExpected[r][w];
                    }
                }

                // Without a union the first applicable rule's bitmap is the whole mismatch set: it is the rule broken first.
                _matches[(id * TransportCount) + t] = union is null
                    ? new AppTransportMatch(offset, first)
                    : new AppTransportMatch(builder.Intern(union), -1);
            }
        }

        _bitmaps = builder.Build();

        _upgradeOf = new int[rules.Count][];
        _mayBeUpgrade = new bool[appIds.Count];
        for (var r = 0; r < rules.Count; r++)
        {
            var ids = new List<int>();
            foreach (var app in rules[r].UpgradeOf)
            {
                RuleWork.Count();
                if (idOf.TryGetValue(app, out var id))
                {
                    ids.Add(id);
                }
            }

            _upgradeOf[r] = [.. ids];
            if (ids.Count > 0)
            {
                _hasUpgrades = true;
                foreach (var app in rules[r].Apps)
                {
                    _mayBeUpgrade[idOf[app]] = true;
                }
            }
        }
    }

    /// <summary>Gets the compiled rules; rule indices in results refer to them.</summary>
    public RuleSet Rules { get; }

    /// <summary>Gets whether the record is selected by the search: any app value is a mismatch.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Whether the record is a mismatch.</returns>
    public bool IsMismatch(in FlowRecord record)
    {
        // The common record: one value of at most 16 bytes, looked up from the words that also show it has no separator.
        var apps = record.Apps;
        var data = apps.Data;
        if (!_hasAddressExemptions && TryGetShortValue(data, apps.SeparatorPlusOne, out var raw0, out var raw1))
        {
            var id = _names.FindShort(raw0, raw1, data.Length);
            if (id < 0)
            {
                return false;
            }

            var offset = Match(id, (int)record.Transport & (TransportCount - 1)).MismatchPorts;
            return offset >= 0 && _bitmaps.Contains(offset, record.DestinationPort.GetValueOrDefault());
        }

        if (data.IsEmpty)
        {
            return false; // no app: no rule can match
        }

        // The record's fields, not the record: passing its address out of an inlined IsMismatch makes the JIT copy the
        // whole record first, and that wide copy of fields just written stalls store forwarding (issue #2).
        var port = record.DestinationPort.GetValueOrDefault();
        if (_hasUpgrades)
        {
            return IsMismatchInRecord(apps, port, record.Transport, record.SourceAddress, record.DestinationAddress);
        }

        return _hasAddressExemptions
            ? IsMismatchWithExemptions(apps, port, record.Transport, record.SourceAddress, record.DestinationAddress)
            : IsMismatchAnyValues(apps, port, record.Transport);
    }

    // Rule sets with an upgrade-of relation: a value's verdict may depend on the record's other values.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsMismatchInRecord(AppValues apps, int port, Transport transport, IPAddressValue source, IPAddressValue destination)
    {
        var index = 0;
        foreach (var value in apps)
        {
            if (TryMatchInRecord(apps, index++, value, port, transport, source, destination, out _))
            {
                return true;
            }
        }

        return false;
    }

    // Any number of values, of any length, for rule sets without network exemptions: nothing after the bitmap test.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsMismatchAnyValues(AppValues apps, int port, Transport recordTransport)
    {
        var transport = (int)recordTransport & (TransportCount - 1);
        foreach (var value in apps)
        {
            if (MismatchOffset(value, transport) is var offset and >= 0 && _bitmaps.Contains(offset, port))
            {
                return true;
            }
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsMismatchWithExemptions(AppValues apps, int port, Transport recordTransport, IPAddressValue source, IPAddressValue destination)
    {
        var transport = (int)recordTransport & (TransportCount - 1);
        foreach (var value in apps)
        {
            if (MismatchOffset(value, transport) is var offset and >= 0 && _bitmaps.Contains(offset, port)
                && FirstBrokenRule(_names.Find(value), port, recordTransport, source, destination) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Evaluates a record fully: which values are mismatches and which rule the first one broke.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The evaluation.</returns>
    public MismatchEvaluation Evaluate(in FlowRecord record)
    {
        // One short value (see IsMismatch); the general loop lives apart so that inlining serves this path.
        var apps = record.Apps;
        var data = apps.Data;
        if (!_hasAddressExemptions && TryGetShortValue(data, apps.SeparatorPlusOne, out var raw0, out var raw1))
        {
            return TryMatchShort(raw0, raw1, data.Length, record.DestinationPort.GetValueOrDefault(), record.Transport, out var only, out _)
                ? new MismatchEvaluation(1, 1, 0, only)
                : new MismatchEvaluation(0, 0, -1, -1);
        }

        if (data.IsEmpty)
        {
            return new MismatchEvaluation(0, 0, -1, -1);
        }

        return EvaluateValues(apps, record.DestinationPort.GetValueOrDefault(), record.Transport, record.SourceAddress, record.DestinationAddress);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private MismatchEvaluation EvaluateValues(AppValues apps, int port, Transport transport, IPAddressValue source, IPAddressValue destination)
    {
        int count = 0, firstValue = -1, firstRule = -1, index = 0;
        ulong mask = 0;
        foreach (var value in apps)
        {
            if (TryMatch(value, port, transport, out var rule)
                && (!_hasAddressExemptions || TryMatch(value, port, transport, source, destination, out rule))
                && (!_hasUpgrades || TryMatchInRecord(apps, index, value, port, transport, source, destination, out rule)))
            {
                if (count++ == 0)
                {
                    firstValue = index;
                    firstRule = rule;
                }

                if (index < 64)
                {
                    mask |= 1UL << index;
                }
            }

            index++;
        }

        return new MismatchEvaluation(count, mask, firstValue, firstRule);
    }

    /// <summary>
    /// Checks one app value: is it a mismatch on <paramref name="destinationPort"/> over <paramref name="transport"/>, and under which rule?
    /// Without addresses, exemptions that name a network cannot apply: use the overload with addresses when rules have them.
    /// The value is judged alone: a rule's <see cref="DetectionRule.UpgradeOf"/> needs the record's other values, which
    /// <see cref="Evaluate(in FlowRecord)"/> and <see cref="IsMismatch(in FlowRecord)"/> see.
    /// </summary>
    /// <param name="app">The app value as UTF-8.</param>
    /// <param name="destinationPort">The destination port (0 when absent).</param>
    /// <param name="transport">The transport.</param>
    /// <param name="ruleIndex">The first rule, in rule-set order, that the value breaks; -1 when none.</param>
    /// <returns>Whether the value is a mismatch.</returns>
    public bool TryMatch(ReadOnlySpan<byte> app, int destinationPort, Transport transport, out int ruleIndex)
    {
        ruleIndex = -1;
        if ((uint)destinationPort > ushort.MaxValue)
        {
            return false;
        }

        var id = _names.Find(app);
        return id >= 0 && TryMatchId(id, destinationPort, transport, out ruleIndex);
    }

    /// <summary>
    /// The fast path of the common record, for the evaluator and the aggregator alike: its app values (<paramref name="data"/>,
    /// split on <paramref name="separatorPlusOne"/> - 1) are one value of 1 to 16 bytes, given as its
    /// <see cref="AppNameTable.RawWords"/>, which also show it holds no separator. False for no value, several, or a longer one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryGetShortValue(ReadOnlySpan<byte> data, int separatorPlusOne, out ulong raw0, out ulong raw1)
    {
        if ((uint)(data.Length - 1) < AppNameTable.ShortKeyLength)
        {
            (raw0, raw1) = AppNameTable.RawWords(data);
            return !AppNameTable.MayContainSeparator(raw0, raw1, separatorPlusOne);
        }

        raw0 = raw1 = 0;
        return false;
    }

    /// <summary>
    /// <see cref="TryMatch(ReadOnlySpan{byte}, int, Transport, out int)"/> for a value of 1 to 16 bytes given by its
    /// <see cref="AppNameTable.RawWords"/>; also gives the value's name id (its rule-set spelling, ASCII case ignored), or -1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryMatchShort(ulong raw0, ulong raw1, int length, int destinationPort, Transport transport, out int ruleIndex, out int nameId)
    {
        ruleIndex = -1;
        nameId = _names.FindShort(raw0, raw1, length);
        return nameId >= 0 && TryMatchId(nameId, destinationPort, transport, out ruleIndex);
    }

    /// <summary>Gets the number of distinct app names in the rules: name ids are below it.</summary>
    internal int NameCount => _rulesByApp.Length;

    /// <summary>Gets whether some rule has an exemption that needs the flow's addresses.</summary>
    internal bool HasAddressExemptions => _hasAddressExemptions;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryMatchId(int id, int destinationPort, Transport transport, out int ruleIndex)
    {
        ruleIndex = -1;
        if ((uint)destinationPort > ushort.MaxValue)
        {
            return false;
        }

        var match = Match(id, (int)transport & (TransportCount - 1));
        if (match.MismatchPorts < 0 || !_bitmaps.Contains(match.MismatchPorts, destinationPort))
        {
            return false;
        }

        if (match.OnlyRule >= 0)
        {
            ruleIndex = match.OnlyRule;
            return true;
        }

        return TryFindBrokenRule(id, destinationPort, transport, out ruleIndex);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryFindBrokenRule(int id, int destinationPort, Transport transport, out int ruleIndex)
    {
        ruleIndex = -1;
        foreach (var r in _rulesByApp[id])
        {
            if (Judges(_ruleTransports[r], transport) && _bitmaps.Contains(_unexpectedPorts[r], destinationPort))
            {
                ruleIndex = r;
                return true;
            }
        }

        return false; // unreachable: the combined bitmap is the union of these rules' complements
    }

    /// <summary>
    /// Checks one app value of a flow from <paramref name="source"/> to <paramref name="destination"/>: is it a mismatch on
    /// <paramref name="destinationPort"/> over <paramref name="transport"/> that no exemption covers, and under which rule?
    /// This is what the aggregator calls per value.
    /// </summary>
    /// <param name="app">The app value as UTF-8.</param>
    /// <param name="destinationPort">The destination port (0 when absent).</param>
    /// <param name="transport">The transport.</param>
    /// <param name="source">The source address, for exemptions that name a source network.</param>
    /// <param name="destination">The destination address, for exemptions that name a destination network.</param>
    /// <param name="ruleIndex">The first rule, in rule-set order, that the value breaks; -1 when none.</param>
    /// <returns>Whether the value is a mismatch.</returns>
    public bool TryMatch(ReadOnlySpan<byte> app, int destinationPort, Transport transport, IPAddressValue source, IPAddressValue destination, out int ruleIndex)
    {
        if (!TryMatch(app, destinationPort, transport, out ruleIndex) || !_hasAddressExemptions)
        {
            return ruleIndex >= 0;
        }

        ruleIndex = FirstBrokenRule(_names.Find(app), destinationPort, transport, source, destination);
        return ruleIndex >= 0;
    }

    /// <summary>
    /// Checks the value at <paramref name="index"/> of a record's <paramref name="apps"/> (<paramref name="value"/>) with
    /// the record's other values in view: the value-level check with exemptions, then, for a value some rule with an
    /// upgrade-of list would flag, the first rule it breaks that no exemption covers and no other value of the record
    /// excuses. The aggregator calls this per value of a multi-valued record.
    /// </summary>
    internal bool TryMatchInRecord(AppValues apps, int index, ReadOnlySpan<byte> value, int port, Transport transport, IPAddressValue source, IPAddressValue destination, out int ruleIndex)
    {
        if (!TryMatch(value, port, transport, source, destination, out ruleIndex) || !_hasUpgrades)
        {
            return ruleIndex >= 0;
        }

        var id = _names.Find(value);
        if (!_mayBeUpgrade[id])
        {
            return true;
        }

        ruleIndex = FirstUnexcusedRule(id, index, apps, port, transport, source, destination);
        return ruleIndex >= 0;
    }

    /// <summary>Gets whether some rule has an upgrade-of list naming an app some rule claims.</summary>
    internal bool HasUpgrades => _hasUpgrades;

    // The first rule claiming app id that the value at index breaks, that no exemption covers and that no other value of
    // the record excuses as a protocol it upgrades from or is carried inside; -1 when none.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int FirstUnexcusedRule(int id, int index, AppValues apps, int port, Transport transport, IPAddressValue source, IPAddressValue destination)
    {
        var t = (int)transport & (TransportCount - 1);
        foreach (var r in _rulesByApp[id])
        {
            if (!Judges(_ruleTransports[r], transport) || !_bitmaps.Contains(_unexpectedPorts[r], port)
                || (_hasAddressExemptions && IsExempted(r, source, destination, port)))
            {
                continue;
            }

            if (_upgradeOf[r].Length == 0 || !IsExcused(_upgradeOf[r], index, apps, port, t))
            {
                return r;
            }
        }

        return -1;
    }

    // Whether a value of the record other than the one at index is one of the apps in upgradeOf and expected on the port:
    // a rule of the set claims it for this transport and none flags it there.
    private bool IsExcused(int[] upgradeOf, int index, AppValues apps, int port, int transport)
    {
        var other = 0;
        foreach (var value in apps)
        {
            if (other++ == index)
            {
                continue;
            }

            var id = _names.Find(value);
            if (id < 0 || Array.IndexOf(upgradeOf, id) < 0)
            {
                continue;
            }

            var offset = Match(id, transport).MismatchPorts;
            if (offset >= 0 && !_bitmaps.Contains(offset, port))
            {
                return true;
            }
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int MismatchOffset(ReadOnlySpan<byte> value, int transport)
    {
        var id = _names.Find(value);
        return id < 0 ? -1 : Match(id, transport).MismatchPorts;
    }

    // In range: ids come from the name table, which has one entry per app of the rules; transport is masked to 0-3.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AppTransportMatch Match(int id, int transport)
        => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_matches), (id * TransportCount) + transport);


    // The first rule claiming app id that the value breaks and that no exemption of the rule covers; -1 when none.
    private int FirstBrokenRule(int id, int port, Transport transport, IPAddressValue source, IPAddressValue destination)
    {
        foreach (var r in _rulesByApp[id])
        {
            if (Judges(_ruleTransports[r], transport) && _bitmaps.Contains(_unexpectedPorts[r], port) && !IsExempted(r, source, destination, port))
            {
                return r;
            }
        }

        return -1; // without address exemptions unreachable: the combined bitmap is the union of these rules' complements
    }

    private bool IsExempted(int rule, IPAddressValue source, IPAddressValue destination, int port)
    {
        foreach (var exemption in _addressExemptions[rule])
        {
            if (exemption.Matches(source, destination, port))
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct AppTransportMatch(int MismatchPorts, int OnlyRule);

    private static bool Applies(DetectionRule rule, Transport transport)
        => rule.Transport is null || transport == Transport.Unknown || rule.Transport == transport;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Judges(Transport ruleTransport, Transport transport)
        => ruleTransport == Transport.Unknown || transport == Transport.Unknown || ruleTransport == transport;
}
