using System.Diagnostics.Metrics;
using System.Reflection;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// The whole detection: sources -> evaluator -> aggregator -> allow-list -> output, with counters for every record and row
/// and a <see cref="System.Diagnostics.Metrics"/> meter named <see cref="MeterName"/> that exposes them.
/// </summary>
/// <remarks>
/// <para>
/// Sources are read in parallel (<see cref="DetectionPipelineOptions.MaxDegreeOfParallelism"/>), each into an aggregator
/// of its own; when all are done the aggregators are merged and completed, so a batch run emits the same rows as one
/// aggregator reading every source in turn. With windows, a window's rows are emitted by each source's aggregator when it
/// closes there (one row per source for the same key), and the rest are merged at the end. Without windows, when there
/// are more sources than the degree of parallelism, the sources share one aggregator per lane instead (a lane reads the
/// next source when it finishes one), which gives the same rows: many parts of one file then balance the cores.
/// </para>
/// <para>
/// The output is called from one thread at a time. Cancelling a run stops the sources; what was read is still aggregated
/// and emitted (a live collector flushes its open windows on shutdown). One run at a time per pipeline.
/// </para>
/// </remarks>
public sealed class DetectionPipeline : IDisposable
{
    /// <summary>The name of the meter: <c>PortMismatch.Detection</c>.</summary>
    public const string MeterName = "PortMismatch.Detection";

    private readonly MismatchEvaluator _evaluator;
    private readonly RowCounter _rows;
    private readonly IMismatchRowSink _output;
    /// <summary>Groups each side needs before the last merge and the completion use two threads (a thread's start costs more than a few hundred rows).</summary>
    private const int ParallelMergeFrom = 1024;

    private readonly object _lock = new();
    private readonly Meter _meter;
    private readonly TimeProvider _time;
    private DetectionCounters _totals;
    private Run? _run;

    /// <summary>Creates a pipeline that writes its rows to <paramref name="output"/>.</summary>
    /// <param name="options">What to detect and how; <see langword="null"/> for <see cref="DetectionPipelineOptions.Default"/>.</param>
    /// <param name="output">Receives the rows the allow-list keeps.</param>
    /// <param name="meterFactory">Creates the meter (the host's, from DI); <see langword="null"/> makes a meter of the pipeline's own.</param>
    /// <param name="timeProvider">
    /// The processing clock of <see cref="DetectionPipelineOptions.IdleWindowClose"/> (the host's, from DI); <see langword="null"/>
    /// for <see cref="TimeProvider.System"/>. Only its timer and its timestamps are used.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DetectionPipelineOptions.MaxDegreeOfParallelism"/> is less than 1.</exception>
    public DetectionPipeline(DetectionPipelineOptions? options, IMismatchRowSink output, IMeterFactory? meterFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        Options = options ?? DetectionPipelineOptions.Default;
        ArgumentNullException.ThrowIfNull(Options.Rules, "options.Rules");
        ArgumentNullException.ThrowIfNull(Options.AllowList, "options.AllowList");
        ArgumentNullException.ThrowIfNull(Options.Aggregation, "options.Aggregation");
        if (Options.MaxDegreeOfParallelism is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxDegreeOfParallelism, "MaxDegreeOfParallelism must be at least 1.");
        }

        if (Options.IdleWindowClose is { } idle && (idle < TimeSpan.Zero || Options.Aggregation.Window is null))
        {
            throw new ArgumentOutOfRangeException(nameof(options), idle, "IdleWindowClose must not be negative, and needs a window (Aggregation.Window).");
        }

        if (Options.SuppressSeenOnDays is { } days && (days < 1 || Options.FirstSeen is null))
        {
            throw new ArgumentOutOfRangeException(nameof(options), days, "SuppressSeenOnDays must be at least 1, and needs a first-seen store (FirstSeen).");
        }

        _time = timeProvider ?? TimeProvider.System;
        _evaluator = new MismatchEvaluator(Options.Rules);
        _totals = new DetectionCounters(new InputCounters(), 0, 0, 0, 0, new long[Options.AllowList.Count], 0, 0);
        _output = output;
        _rows = new RowCounter(this);
        var version = typeof(DetectionPipeline).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        _meter = meterFactory?.Create(new MeterOptions(MeterName) { Version = version }) ?? new Meter(MeterName, version);
        CreateInstruments();
    }

    /// <summary>Gets the options.</summary>
    public DetectionPipelineOptions Options { get; }

    /// <summary>
    /// Reads every source, aggregates, filters and writes the rows. A source whose input fails (its format, an I/O error:
    /// <see cref="InputFormatException"/>, <see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>) is
    /// reported in <see cref="DetectionResult.Failures"/> and the others go on.
    /// </summary>
    /// <remarks>
    /// <para>
    /// When the output throws (a full disk, a closed pipe), on a source's thread, in the idle close or in the final merge,
    /// the run is cancelled, every source stops, and this method throws that exception unchanged; it is not a source's
    /// failure. No more rows reach the output, and its <see cref="IMismatchRowSink.OnCompletedAsync"/> is not called.
    /// <see cref="GetCounters"/> still counts every record read, and the row the output refused as emitted but not written.
    /// </para>
    /// <para>
    /// When a source throws anything else (a bug, a live collector's socket error), the run stops as if cancelled: the
    /// other sources stop, the rows of everything read are still emitted, and then this method throws that exception
    /// unchanged (the first, if several sources throw). The source counts as failed in <see cref="GetCounters"/>; a live
    /// source beside it does not run on until the run is cancelled.
    /// </para>
    /// <para>
    /// Otherwise, once the last row is written, the output's <see cref="IMismatchRowSink.OnCompletedAsync"/> is called once
    /// with this run's counters (also when the run was cancelled or a source failed), so that it can flush.
    /// </para>
    /// </remarks>
    /// <param name="sources">The sources.</param>
    /// <param name="cancellationToken">Stops reading; the rows of what was read are still emitted.</param>
    /// <returns>The counters of this run and its failures.</returns>
    /// <exception cref="InvalidOperationException">Another run of this pipeline is in progress.</exception>
    public async Task<DetectionResult> RunAsync(IEnumerable<IFlowSource> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var sourceList = new List<IFlowSource>();
        foreach (var source in sources)
        {
            ArgumentNullException.ThrowIfNull(source, nameof(sources));
            sourceList.Add(source);
        }

        // Without windows, more sources than the degree of parallelism share one aggregator per lane (below); each
        // source's worker then starts with the first lane's and gets the lane's that reads it.
        var degree = Options.MaxDegreeOfParallelism ?? Environment.ProcessorCount;
        List<MismatchAggregator>? lanes = null;
        if (Options.Aggregation.Window is null && sourceList.Count > degree)
        {
            lanes = [];
            for (var i = 0; i < degree; i++)
            {
                lanes.Add(new MismatchAggregator(_evaluator, _rows, Options.Aggregation));
            }
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = new Run(stop, Options, _output, Options.CombineRows ? new RowCombiner(Options.Rules) : null);
        var workers = sourceList.ConvertAll(source => new Worker(
            source, lanes?[0] ?? new MismatchAggregator(_evaluator, _rows, Options.Aggregation), run, Options.IdleWindowClose is not null));
        var aggregators = lanes ?? workers.ConvertAll(worker => worker.Aggregator);
        run.Start(workers, aggregators);
        lock (_lock)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException("This pipeline is already running; a pipeline runs one set of sources at a time.");
            }

            _run = run;
        }

        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = degree };
            if (lanes is not null)
            {
                // Without windows a record's place in the order changes no row, so the sources share one aggregator per
                // lane, and a lane that finishes a source takes the next: the parts of a split file then balance the cores
                // (a core slowed by other work reads fewer parts) with no more aggregators to merge.
                var next = -1;
                await Parallel.ForEachAsync(lanes, parallel, async (lane, _) =>
                {
                    // A stopped run (cancelled, or a failure anywhere) takes no more sources.
                    int i;
                    while (!stop.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < workers.Count)
                    {
                        workers[i].Aggregator = lane;
                        await ReadAsync(workers[i], run, stop.Token).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
            }
            else
            {
                // The idle clock runs beside the sources and is stopped, and waited for, before the merge.
                using var clockStop = new CancellationTokenSource();
                var clock = RunIdleClockAsync(workers, clockStop.Token);
                try
                {
                    await Parallel.ForEachAsync(workers, parallel, (worker, _) => ReadAsync(worker, run, stop.Token)).ConfigureAwait(false);
                }
                finally
                {
                    await clockStop.CancelAsync().ConfigureAwait(false);
                    await clock.ConfigureAwait(false);
                }
            }

            // Merge and complete on this thread; the rows go through the same counted, locked path as the early ones.
            // After the output failed nothing more is written: the aggregators are left as they are.
            if (aggregators.Count > 0 && !run.Failed)
            {
                // The last merge and the completion make their rows on two threads when both sides are large.
                var first = aggregators[0];
                for (var i = 1; i < aggregators.Count - 1; i++)
                {
                    first.Merge(aggregators[i]);
                }

                if (aggregators.Count > 1)
                {
                    first.MergeAndComplete(aggregators[^1], ParallelMergeFrom);
                }
                else
                {
                    first.Complete();
                }

                lock (_lock)
                {
                    run.LateRecords += first.LateRecords;
                }
            }

            // Every aggregator is done: the rows held for combining are final now.
            if (run.Combiner is { } combiner && !run.Failed)
            {
                WriteFinalRows(run, combiner);
            }

            // The store learns the run's rows only once they are out: after an output failure it is left as it was.
            if (Options.FirstSeen is { } store && !run.Failed)
            {
                store.Save();
            }
        }
        catch (OperationCanceledException) when (run.Failed)
        {
            // The output's failure, passed through the aggregators as a cancellation: thrown below as it was.
        }
        finally
        {
            await run.StoppedAsync().ConfigureAwait(false);
            lock (_lock)
            {
                _totals = DetectionCounters.Sum(_totals, run.Snapshot());
                _run = null;
            }

            // Every source and the merge are done: the tables' native memory goes now, not at some later finalization.
            foreach (var aggregator in aggregators)
            {
                aggregator.Dispose();
            }
        }

        // Every row is out: the output flushes what it holds, once per run, unless it is the output that failed.
        var counters = run.Snapshot();
        if (!run.Failed)
        {
            await _output.OnCompletedAsync(counters).ConfigureAwait(false);
        }

        run.ThrowIfFailed();
        run.ThrowIfSourceFailed();
        return new DetectionResult(counters, run.Failures.ToArray(), cancellationToken.IsCancellationRequested);
    }

    /// <summary>Gets the counters of every run so far, including the one in progress (its live values may lag by a record).</summary>
    /// <returns>A snapshot.</returns>
    public DetectionCounters GetCounters()
    {
        lock (_lock)
        {
            return DetectionCounters.Sum(_totals, _run?.Snapshot());
        }
    }

    /// <summary>Disposes the meter. (Each run frees its aggregators' memory when it ends.)</summary>
    public void Dispose() => _meter.Dispose();

    /// <summary>Gets the aggregators of the run in progress (none between runs); for the tests that check their memory is freed.</summary>
    internal IReadOnlyList<MismatchAggregator> RunningAggregators()
    {
        lock (_lock)
        {
            return _run?.Aggregators ?? [];
        }
    }

    /// <summary>
    /// Writes the combined rows (<see cref="DetectionPipelineOptions.CombineRows"/>) on the run's thread, the only one left;
    /// a row the output refuses fails the run as on any other path, and no more rows are written.
    /// </summary>
    private void WriteFinalRows(Run run, RowCombiner combiner)
    {
        var rows = combiner.TakeFinalRows(out var combined);
        lock (_lock)
        {
            run.Combined = combined;
        }

        foreach (var row in rows)
        {
            try
            {
                run.Output.OnRow(row);
            }
            catch (Exception e)
            {
                lock (_lock)
                {
                    run.Fail(e);
                }

                return;
            }
        }
    }

    private static async ValueTask ReadAsync(Worker worker, Run run, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var started = false;
        try
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                started = true;
                await worker.Source.ReadAsync(worker, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (run.Failed)
        {
            // The output failed (the source may have passed the exception on as anything): not this source's failure.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled: what was read is kept.
        }
        catch (Exception e) when (e is InputFormatException or IOException or UnauthorizedAccessException)
        {
            failure = e;
        }
        catch (Exception e)
        {
            // Not the input's failure (a bug, a socket error): the run stops, and RunAsync throws it once the rows are out.
            failure = e;
            run.FailSource(e);
        }
        finally
        {
            worker.Finish();
            run.Finish(worker, failure, started);
        }
    }

    /// <summary>
    /// With <see cref="DetectionPipelineOptions.IdleWindowClose"/>: a clock that stamps processing time on the aggregators
    /// (records then note it on the windows they reach, without reading a clock) and closes the windows no record has
    /// reached for that long. Event time is not touched: a replay of old records closes its windows as a scan would. One
    /// loop: a tick starts only after the last one ended, so a stalled output holds one thread and the time only grows.
    /// </summary>
    private async Task RunIdleClockAsync(List<Worker> workers, CancellationToken cancellationToken)
    {
        if (Options.IdleWindowClose is not { } idle || workers.Count == 0)
        {
            return;
        }

        // A window's stamp is the clock's time at the tick before its last record, up to a period early: it is closed once
        // the stamp is an idle period and a period old, so it was idle at least that long. Times are milliseconds since the
        // run started. The timer is made before the first await, so that it exists when RunAsync returns its task.
        var period = (long)Math.Clamp(idle.TotalMilliseconds / 2, 100, 1000);
        var idleMilliseconds = (long)Math.Min(idle.TotalMilliseconds, long.MaxValue / 4);
        var started = _time.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(period), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = (long)_time.GetElapsedTime(started).TotalMilliseconds;
                foreach (var worker in workers)
                {
                    if (!worker.Tick(now, now - idleMilliseconds - period + 1))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The sources are done: the merge closes what is left.
        }
    }

    private void CreateInstruments()
    {
        _meter.CreateObservableCounter("portmismatch.records.read", () => GetCounters().Input.Read, "{record}", "Records the sources delimited (lines, JSON objects, flow records).");
        _meter.CreateObservableCounter("portmismatch.records.accepted", () => GetCounters().Input.Accepted, "{record}", "Records that became flow records.");
        _meter.CreateObservableCounter("portmismatch.records.rejected", () => ByReason(GetCounters().Input.RejectedByReason), "{record}", "Malformed records, by reason.");
        _meter.CreateObservableCounter("portmismatch.records.skipped", () => ByReason(GetCounters().Input.SkippedByReason), "{record}", "Well-formed records that are not flows (templates, other log types, replies), by reason.");
        _meter.CreateObservableCounter("portmismatch.records.selected", () => GetCounters().RecordsSelected, "{record}", "Accepted records the rules selected (protocol or port mismatches).");
        _meter.CreateObservableCounter("portmismatch.rows.emitted", () => GetCounters().RowsEmitted, "{row}", "Result rows the aggregation emitted, before the allow-list.");
        _meter.CreateObservableCounter("portmismatch.rows.filtered", FilteredRows, "{row}", "Result rows removed by the allow-list, by entry.");
        _meter.CreateObservableCounter("portmismatch.rows.written", () => GetCounters().RowsWritten, "{row}", "Result rows written to the output.");
        _meter.CreateObservableCounter("portmismatch.rows.combined", () => GetCounters().RowsCombined, "{row}", "Kept rows summed into another row of the same key (DetectionPipelineOptions.CombineRows).");
        _meter.CreateObservableCounter("portmismatch.sources.failed", () => GetCounters().SourcesFailed, "{source}", "Sources that could not be read to their end.");
        _meter.CreateObservableCounter("portmismatch.rows.partial", () => GetCounters().RowsPartial, "{row}", "Emitted rows that are partial: emitted early because a bound of the aggregation was reached.");
        _meter.CreateObservableCounter("portmismatch.windows.evicted", () => GetCounters().WindowEvictions, "{window}", "Open windows emitted early, as partial rows, to make room.");
        _meter.CreateObservableCounter("portmismatch.records.time_jumps_held", () => GetCounters().EventTimeJumpsHeld, "{record}", "Records dated further ahead of event time than a window plus the lateness: event time waited for a later record to confirm them.");
    }

    private static List<Measurement<long>> ByReason(IReadOnlyDictionary<string, long> counts)
    {
        var measurements = new List<Measurement<long>>(counts.Count);
        foreach (var (reason, count) in counts)
        {
            measurements.Add(new Measurement<long>(count, new KeyValuePair<string, object?>("reason", reason)));
        }

        return measurements;
    }

    private List<Measurement<long>> FilteredRows()
    {
        var counters = GetCounters();
        var measurements = new List<Measurement<long>>(counters.RowsFilteredByEntry.Count);
        for (var i = 0; i < counters.RowsFilteredByEntry.Count; i++)
        {
            measurements.Add(new Measurement<long>(
                counters.RowsFilteredByEntry[i],
                new KeyValuePair<string, object?>("allow_list_entry", i),
                new KeyValuePair<string, object?>("comment", Options.AllowList[i].Comment)));
        }

        return measurements;
    }

    /// <summary>One source and its aggregator; counts selected records where the meter can see them.</summary>
    private sealed class Worker(IFlowSource source, MismatchAggregator aggregator, Run run, bool synchronized) : IFlowRecordSink
    {
        private readonly object _lock = new();
        private long _selected;
        private bool _done;

        public IFlowSource Source { get; } = source;

        /// <summary>Gets the aggregator the source is read into (a lane's, when sources share them).</summary>
        public MismatchAggregator Aggregator { get; set; } = aggregator;

        public long Selected => Volatile.Read(ref _selected);

        public void OnRecord(in FlowRecord record)
        {
            if (!synchronized)
            {
                Count(record);
                return;
            }

            lock (_lock)
            {
                // The idle clock may have left this aggregator half-way through a close that the output refused.
                if (run.Failed)
                {
                    throw run.Stopped();
                }

                Count(record);
            }
        }

        /// <summary>
        /// From the idle clock (another thread), unless the source is done: stamps the processing time and closes the
        /// windows idle since before <paramref name="closeBefore"/>. False once the run has failed: the clock stops.
        /// </summary>
        public bool Tick(long now, long closeBefore)
        {
            lock (_lock)
            {
                if (run.Failed)
                {
                    return false;
                }

                if (_done)
                {
                    return true;
                }

                try
                {
                    Aggregator.ProcessingTime = now;
                    _ = Aggregator.CloseIdleWindows(closeBefore);
                    return true;
                }
                catch (Exception e)
                {
                    // Never out of the clock's loop: the run ends with it instead.
                    run.Fail(e);
                    return false;
                }
            }
        }

        /// <summary>Stops the idle clock's access before the aggregator is merged on the run's thread.</summary>
        public void Finish()
        {
            lock (_lock)
            {
                _done = true;
            }
        }

        private void Count(in FlowRecord record)
        {
            if (Aggregator.Add(record))
            {
                Volatile.Write(ref _selected, _selected + 1);
            }
        }
    }

    /// <summary>One run's state; every member is guarded by the pipeline's lock except the workers' own counts.</summary>
    private sealed class Run
    {
        private readonly CancellationTokenSource _stop;
        private readonly InputCounters _finishedInput = new();
        private readonly HashSet<Worker> _active = [];
        private readonly object _sync = new();
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _failure;
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _sourceFailure;
        private List<MismatchAggregator> _aggregators = [];
        private Task _cancelling = Task.CompletedTask;
        private readonly long _evictionsAtStart;
        private volatile bool _failed;

        /// <param name="stop">Cancels the run.</param>
        /// <param name="options">The allow-list, applied to each row the aggregators emit, and the first-seen store after it.</param>
        /// <param name="output">The pipeline's output.</param>
        /// <param name="combiner">Holds the kept rows until the run ends (<see cref="DetectionPipelineOptions.CombineRows"/>); null to write them at once.</param>
        public Run(CancellationTokenSource stop, DetectionPipelineOptions options, IMismatchRowSink output, RowCombiner? combiner)
        {
            _stop = stop;
            Output = new WrittenRows(this, output);
            Combiner = combiner;
            IMismatchRowSink kept = combiner ?? (IMismatchRowSink)Output;
            if (options.FirstSeen is { } store)
            {
                FirstSeen = new FirstSeenFilter(kept, store, options.SuppressSeenOnDays);
                _evictionsAtStart = store.Evictions;
                kept = FirstSeen;
            }

            Filter = new RowFilter(kept, options.AllowList);
        }

        /// <summary>Gets the first-seen filter after the allow-list, or null without a store.</summary>
        public FirstSeenFilter? FirstSeen { get; }

        public List<SourceFailure> Failures { get; } = [];

        /// <summary>Gets the aggregators whose counts the run sums (a copy).</summary>
        public List<MismatchAggregator> Aggregators
        {
            get
            {
                lock (_sync)
                {
                    return [.. _aggregators];
                }
            }
        }

        /// <summary>Gets the allow-list's filter: every emitted row goes through it, and it counts what each entry removed.</summary>
        public RowFilter Filter { get; }

        /// <summary>Gets the rows held for combining, or null when kept rows go to the output at once.</summary>
        public RowCombiner? Combiner { get; }

        /// <summary>Gets the pipeline's output, counting the rows written (<see cref="Written"/>).</summary>
        public WrittenRows Output { get; }

        public long FinishedSelected { get; private set; }

        public long LateRecords { get; set; }

        public long Emitted { get; set; }

        public long Partial { get; set; }

        public long Written { get; set; }

        /// <summary>Gets or sets the kept rows summed into another (<see cref="DetectionPipelineOptions.CombineRows"/>).</summary>
        public long Combined { get; set; }

        public long SourcesRead { get; private set; }

        /// <summary>Gets whether the output failed (or the idle clock did): the run is being cancelled and will throw.</summary>
        public bool Failed => _failed;

        /// <summary>Starts counting: the workers' sources, and the aggregators whose event-time and eviction counts the run sums.</summary>
        public void Start(List<Worker> workers, List<MismatchAggregator> aggregators)
        {
            lock (_sync)
            {
                _active.UnionWith(workers);
                _aggregators = aggregators;
            }
        }

        /// <summary>Records the first failure that ends the run and cancels it (the sources' callbacks run on the thread pool).</summary>
        public void Fail(Exception error)
        {
            lock (_sync)
            {
                if (_failure is not null)
                {
                    return;
                }

                _failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error);
                _failed = true;
                if (!_stop.IsCancellationRequested)
                {
                    _cancelling = _stop.CancelAsync();
                }
            }
        }

        /// <summary>
        /// Records the first exception a source threw that is not its input's failure, and cancels the run: the sources stop
        /// as when cancelled, the rows of what was read are still emitted, and RunAsync then throws it.
        /// </summary>
        public void FailSource(Exception error)
        {
            lock (_sync)
            {
                if (_sourceFailure is not null)
                {
                    return;
                }

                _sourceFailure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error);
                if (!_stop.IsCancellationRequested)
                {
                    _cancelling = _stop.CancelAsync();
                }
            }
        }

        /// <summary>What is thrown on a reader's thread or through an aggregator after a failure: the sources stop as when cancelled.</summary>
        public OperationCanceledException Stopped()
            => new("The output failed; the detection run is stopping.", _failure?.SourceException, _stop.Token);

        public void ThrowIfFailed() => _failure?.Throw();

        public void ThrowIfSourceFailed() => _sourceFailure?.Throw();

        /// <summary>Waits for the cancellation's callbacks, so that the token source can be disposed.</summary>
        public Task StoppedAsync() => _cancelling;

        /// <summary>A source is done: read (to its end or until the run stopped), failed, or never started (the run had stopped first).</summary>
        public void Finish(Worker worker, Exception? failure, bool started)
        {
            lock (_sync)
            {
                _active.Remove(worker);
                _finishedInput.Add(worker.Source.Counters);
                FinishedSelected += worker.Selected;
                if (failure is not null)
                {
                    Failures.Add(new SourceFailure(worker.Source.Name, failure));
                }
                else if (started)
                {
                    SourcesRead++;
                }
            }
        }

        public DetectionCounters Snapshot()
        {
            lock (_sync)
            {
                var input = new InputCounters();
                input.Add(_finishedInput);
                var selected = FinishedSelected;
                foreach (var worker in _active)
                {
                    input.Add(worker.Source.Counters);
                    selected += worker.Selected;
                }

                // Read while the aggregators count, from another thread: recent values. A merge moves counts from one
                // aggregator to another, so the sum over all of them is exact once the run is over.
                long evictions = 0, jumps = 0;
                foreach (var aggregator in _aggregators)
                {
                    evictions += aggregator.WindowEvictionsNow;
                    jumps += aggregator.EventTimeJumpsHeldNow;
                }

                var filtered = new long[Filter.AllowList.Count];
                for (var i = 0; i < filtered.Length; i++)
                {
                    filtered[i] = Filter.RowsRemovedBy(i);
                }

                return new DetectionCounters(input, selected, LateRecords, Emitted, Written, filtered, SourcesRead, Failures.Count)
                {
                    RowsPartial = Partial,
                    RowsCombined = Combined,
                    WindowEvictions = evictions,
                    EventTimeJumpsHeld = jumps,
                    RowsSuppressedAsBaseline = FirstSeen?.RowsSuppressed ?? 0,
                    FirstSeenEvictions = FirstSeen is { } seen ? seen.Store.Evictions - _evictionsAtStart : 0,
                };
            }
        }
    }

    /// <summary>
    /// Counts the rows the aggregators emit and passes them to the run's <see cref="Run.Filter"/> (the allow-list, then the
    /// output or the combiner), one thread at a time. When the output throws, the run fails with that exception, and this
    /// row and every later one end in a cancellation instead.
    /// </summary>
    private sealed class RowCounter(DetectionPipeline pipeline) : IMismatchRowBatchSink
    {
        public void OnRow(MismatchRow row)
        {
            ArgumentNullException.ThrowIfNull(row);
            Run run;
            lock (pipeline._lock)
            {
                run = pipeline._run!;
                if (!run.Failed && TryCount(run, row))
                {
                    return;
                }
            }

            throw run.Stopped();
        }

        public void OnRows(ReadOnlySpan<MismatchRow?> rows)
        {
            Run run;
            lock (pipeline._lock)
            {
                run = pipeline._run!;
                var failed = run.Failed;
                foreach (var row in rows)
                {
                    if (row is not null && !failed && !TryCount(run, row))
                    {
                        failed = true;
                    }
                }

                if (!failed)
                {
                    return;
                }
            }

            throw run.Stopped();
        }

        /// <summary>Counts and filters a row, and writes or holds it; false when the output threw (the run has failed).</summary>
        private static bool TryCount(Run run, MismatchRow row)
        {
            run.Emitted++;
            if (row.IsPartial)
            {
                run.Partial++;
            }

            try
            {
                run.Filter.OnRow(row);
            }
            catch (Exception e)
            {
                run.Fail(e);
                return false;
            }

            return true;
        }
    }

    /// <summary>The output, counting in <see cref="Run.Written"/> each row it took without throwing.</summary>
    private sealed class WrittenRows(Run run, IMismatchRowSink output) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
            output.OnRow(row);
            run.Written++;
        }
    }
}
