namespace PortMismatch.Detection;

/// <summary>
/// What a <see cref="DetectionPipeline"/> has done so far, so that every record and row is accounted for:
/// <c>Input.Read = Input.Accepted + Input.Rejected + Input.Skipped</c>, records selected out of those accepted, and
/// <c>RowsEmitted = RowsWritten + RowsCombined + sum(RowsFilteredByEntry) + RowsSuppressedAsBaseline</c>; and how often the aggregation's bounds and event-time
/// checks acted (<see cref="RowsPartial"/>, <see cref="WindowEvictions"/>, <see cref="EventTimeJumpsHeld"/>).
/// </summary>
public sealed class DetectionCounters
{
    internal DetectionCounters(InputCounters input, long selected, long late, long rowsEmitted, long rowsWritten, long[] filtered, long sourcesRead, long sourcesFailed)
    {
        Input = input;
        RecordsSelected = selected;
        LateRecords = late;
        RowsEmitted = rowsEmitted;
        RowsWritten = rowsWritten;
        RowsFilteredByEntry = filtered;
        SourcesRead = sourcesRead;
        SourcesFailed = sourcesFailed;
    }

    /// <summary>Adds two sets of counters into a new one (<paramref name="b"/> may be absent).</summary>
    internal static DetectionCounters Sum(DetectionCounters a, DetectionCounters? b)
    {
        var input = new InputCounters();
        input.Add(a.Input);
        var filtered = a.RowsFilteredByEntry.ToArray();
        if (b is null)
        {
            return new DetectionCounters(input, a.RecordsSelected, a.LateRecords, a.RowsEmitted, a.RowsWritten, filtered, a.SourcesRead, a.SourcesFailed)
            {
                RowsPartial = a.RowsPartial,
                RowsCombined = a.RowsCombined,
                WindowEvictions = a.WindowEvictions,
                EventTimeJumpsHeld = a.EventTimeJumpsHeld,
                RowsSuppressedAsBaseline = a.RowsSuppressedAsBaseline,
                FirstSeenEvictions = a.FirstSeenEvictions,
            };
        }

        input.Add(b.Input);
        for (var i = 0; i < filtered.Length; i++)
        {
            filtered[i] += b.RowsFilteredByEntry[i];
        }

        return new DetectionCounters(
            input,
            a.RecordsSelected + b.RecordsSelected,
            a.LateRecords + b.LateRecords,
            a.RowsEmitted + b.RowsEmitted,
            a.RowsWritten + b.RowsWritten,
            filtered,
            a.SourcesRead + b.SourcesRead,
            a.SourcesFailed + b.SourcesFailed)
        {
            RowsPartial = a.RowsPartial + b.RowsPartial,
            RowsCombined = a.RowsCombined + b.RowsCombined,
            WindowEvictions = a.WindowEvictions + b.WindowEvictions,
            EventTimeJumpsHeld = a.EventTimeJumpsHeld + b.EventTimeJumpsHeld,
            RowsSuppressedAsBaseline = a.RowsSuppressedAsBaseline + b.RowsSuppressedAsBaseline,
            FirstSeenEvictions = a.FirstSeenEvictions + b.FirstSeenEvictions,
        };
    }

    /// <summary>Gets the input counters of every source: read, accepted, rejected and skipped by reason.</summary>
    public InputCounters Input { get; }

    /// <summary>Gets the number of accepted records the rules selected (mismatches).</summary>
    public long RecordsSelected { get; }

    /// <summary>Gets the number of selected records that arrived after their window had been emitted (in late rows); counted when the run ends.</summary>
    public long LateRecords { get; }

    /// <summary>Gets the number of rows the aggregation emitted, before the allow-list.</summary>
    public long RowsEmitted { get; }

    /// <summary>
    /// Gets the number of the emitted rows that are partial (<see cref="MismatchRow.IsPartial"/>): emitted early because a
    /// bound was reached (<see cref="AggregatorOptions.MaxGroups"/>, <see cref="AggregatorOptions.MaxOpenWindows"/>, the app
    /// value bounds). Summing rows by key still gives the exact counts; a growing number means the bounds are too small
    /// for the traffic, or someone fills them.
    /// </summary>
    public long RowsPartial { get; internal init; }

    /// <summary>Gets the number of rows the output received: those the allow-list kept, or with <see cref="DetectionPipelineOptions.CombineRows"/> the final rows they were summed into.</summary>
    public long RowsWritten { get; }

    /// <summary>
    /// Gets the number of kept rows that <see cref="DetectionPipelineOptions.CombineRows"/> summed into another row of the same
    /// key (0 without it): a final row made of n kept rows counts n - 1 here.
    /// </summary>
    public long RowsCombined { get; internal init; }

    /// <summary>Gets the rows removed by each allow-list entry, in the allow-list's order.</summary>
    public IReadOnlyList<long> RowsFilteredByEntry { get; }

    /// <summary>
    /// Gets how often an open window was emitted early, as partial rows, to make room (see
    /// <see cref="MismatchAggregator.WindowEvictions"/>).
    /// </summary>
    public long WindowEvictions { get; internal init; }

    /// <summary>
    /// Gets the number of records dated further ahead of event time than a window plus the lateness, which moved event time
    /// only if a later record confirmed them (see <see cref="MismatchAggregator.EventTimeJumpsHeld"/>): records with a wrong
    /// or forged clock, or a real gap in the traffic.
    /// </summary>
    public long EventTimeJumpsHeld { get; internal init; }

    /// <summary>
    /// Gets the number of rows the allow-list kept that <see cref="DetectionPipelineOptions.SuppressSeenOnDays"/> removed as
    /// baseline: their pair was seen on at least that many earlier days (0 without it).
    /// </summary>
    public long RowsSuppressedAsBaseline { get; internal init; }

    /// <summary>Gets the number of entries the first-seen store evicted during the run to stay within its bound (0 without a store).</summary>
    public long FirstSeenEvictions { get; internal init; }

    /// <summary>Gets the number of sources read to their end (or until the run was cancelled); a source the run never started is not counted.</summary>
    public long SourcesRead { get; }

    /// <summary>Gets the number of sources that failed (see <see cref="DetectionResult.Failures"/>).</summary>
    public long SourcesFailed { get; }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant(
        $"{Input}; selected {RecordsSelected}; rows {RowsEmitted} = written {RowsWritten} + combined {RowsCombined} + allow-listed {RowsEmitted - RowsWritten - RowsCombined - RowsSuppressedAsBaseline}{(RowsSuppressedAsBaseline > 0 ? $" + suppressed as baseline {RowsSuppressedAsBaseline}" : "")}, partial {RowsPartial}; late records {LateRecords}, time jumps held {EventTimeJumpsHeld}, windows evicted {WindowEvictions}; sources {SourcesRead} read, {SourcesFailed} failed");
}
