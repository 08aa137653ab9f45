using System.Collections.Immutable;

namespace PortMismatch.Detection;

/// <summary>
/// The rows of a run, held until it ends and then made final (<see cref="DetectionPipelineOptions.CombineRows"/>): sorted
/// by <see cref="MismatchRowComparer"/>, and rows of the same (window, src_ip, dest_ip, app, dest_port) summed into one
/// (partial rows, late rows, the rows of different sources or parts of a file).
/// </summary>
internal sealed class RowCombiner(RuleSet rules) : IMismatchRowSink
{
    /// <summary>From this many rows on, the sort uses two cores.</summary>
    private const int ParallelSortFrom = 4096;

    private readonly List<MismatchRow> _rows = [];
    private Dictionary<DetectionRule, int>? _ruleOrder;

    public void OnRow(MismatchRow row) => _rows.Add(row);

    /// <summary>Takes the rows held so far, sorted and combined; the combiner is left empty.</summary>
    /// <param name="combined">The number of rows summed into another (held rows less final rows).</param>
    public List<MismatchRow> TakeFinalRows(out long combined)
    {
        var sorted = Sort(_rows);
        _rows.Clear();
        var rows = Combine(sorted);
        combined = sorted.Count - rows.Count;
        return rows;
    }

    /// <summary>
    /// Sorts rows by <see cref="MismatchRowComparer"/>; many rows in two halves on two cores at once, then merged (the sort
    /// is part of a large run's serial tail). The order of rows with the same key does not matter: <see cref="Combine"/> sums them.
    /// </summary>
    private static List<MismatchRow> Sort(List<MismatchRow> rows)
    {
        var comparer = MismatchRowComparer.Instance;
        if (rows.Count < ParallelSortFrom || Environment.ProcessorCount < 2)
        {
            var list = new List<MismatchRow>(rows);
            list.Sort(comparer);
            return list;
        }

        var items = rows.ToArray();
        var half = items.Length / 2;
        Parallel.Invoke(
            () => Array.Sort(items, 0, half, comparer),
            () => Array.Sort(items, half, items.Length - half, comparer));

        var sorted = new List<MismatchRow>(items.Length);
        int left = 0, right = half;
        while (left < half && right < items.Length)
        {
            sorted.Add(comparer.Compare(items[right], items[left]) < 0 ? items[right++] : items[left++]);
        }

        sorted.AddRange(items.AsSpan(left, half - left));
        sorted.AddRange(items.AsSpan(right));
        return sorted;
    }

    /// <summary>
    /// Sums rows of the same key. <see cref="MismatchRowComparer"/> orders by exactly that key, so rows to sum are
    /// neighbours and one pass does it, without a dictionary of every row. A sum counts every record, keeps the earliest
    /// first and the latest last time, every transport, and the rule that comes first in the rule set; it is neither
    /// partial nor late (it stands for all of its parts).
    /// </summary>
    private List<MismatchRow> Combine(List<MismatchRow> sorted)
    {
        var combined = new List<MismatchRow>(sorted.Count);
        foreach (var row in sorted)
        {
            if (combined.Count == 0 || MismatchRowComparer.Instance.Compare(combined[^1], row) != 0)
            {
                combined.Add(row);
                continue;
            }

            var seen = combined[^1];
            combined[^1] = new MismatchRow(
                row.SourceAddress,
                row.DestinationAddress,
                row.App,
                row.DestinationPort,
                seen.Count + row.Count,
                Math.Min(seen.FirstTimeMicroseconds, row.FirstTimeMicroseconds),
                Math.Max(seen.LastTimeMicroseconds, row.LastTimeMicroseconds),
                EarlierRule(seen.Rule, row.Rule),
                Union(seen.Transports, row.Transports))
            {
                WindowStartMicroseconds = row.WindowStartMicroseconds,
                WindowEndMicroseconds = row.WindowEndMicroseconds,
                FirstSeenMicroseconds = Min(seen.FirstSeenMicroseconds, row.FirstSeenMicroseconds),
                IsNew = seen.IsNew || row.IsNew,
                EarlierDaysSeen = Min(seen.EarlierDaysSeen, row.EarlierDaysSeen),
            };
        }

        return combined;
    }

    /// <summary>The smaller of two first-seen values (null where no store was in use).</summary>
    private static T? Min<T>(T? a, T? b)
        where T : struct, IComparable<T>
        => a is null ? b : b is null ? a : a.Value.CompareTo(b.Value) <= 0 ? a : b;

    /// <summary>Of two rules, the one earlier in the rule set (a rule not in it counts as first; null as last).</summary>
    private DetectionRule? EarlierRule(DetectionRule? seen, DetectionRule? row)
    {
        if (seen is null || row is null)
        {
            return seen ?? row;
        }

        var order = _ruleOrder ??= RuleOrder(rules);
        return order.GetValueOrDefault(seen, -1) <= order.GetValueOrDefault(row, -1) ? seen : row;
    }

    /// <summary>Each rule's index in the set (the first, should a rule appear twice), by reference.</summary>
    private static Dictionary<DetectionRule, int> RuleOrder(RuleSet rules)
    {
        var order = new Dictionary<DetectionRule, int>(rules.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < rules.Count; i++)
        {
            _ = order.TryAdd(rules[i], i);
        }

        return order;
    }

    /// <summary>The transports of both, in order, each once.</summary>
    private static ImmutableArray<Transport> Union(ImmutableArray<Transport> a, ImmutableArray<Transport> b)
    {
        var mask = 0;
        foreach (var transport in a)
        {
            mask |= 1 << (int)transport;
        }

        foreach (var transport in b)
        {
            mask |= 1 << (int)transport;
        }

        return mask < MismatchAggregator.TransportSets.Length ? MismatchAggregator.TransportSets[mask] : [.. a.Union(b).Order()];
    }
}
