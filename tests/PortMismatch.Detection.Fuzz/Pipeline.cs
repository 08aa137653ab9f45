using System.Buffers;

namespace PortMismatch.Detection.Fuzz;

/// <summary>
/// The data path behind every reader target: evaluate each record, add it to a whole-input aggregator and to a windowed
/// one whose rows are written as JSON lines and CSV (app names an attacker shaped end up in output).
/// </summary>
public sealed class Pipeline : IFlowRecordSink
{
    private readonly MismatchEvaluator _evaluator;
    private readonly MismatchAggregator _whole;
    private readonly MismatchAggregator _windowed;
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly JsonLinesRowWriter _json;
    private readonly CsvRowWriter _csv;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="evaluator">The rules.</param>
    public Pipeline(MismatchEvaluator evaluator)
    {
        _evaluator = evaluator;
        _json = new JsonLinesRowWriter(_output);
        _csv = new CsvRowWriter(_output);
        _whole = new MismatchAggregator(evaluator, _json);
        _windowed = new MismatchAggregator(evaluator, _csv, AggregatorOptions.Default with { Window = TimeSpan.FromMinutes(5), AllowedLateness = TimeSpan.FromMinutes(1) });
    }

    /// <summary>Gets the number of records seen.</summary>
    public long Records { get; private set; }

    /// <inheritdoc/>
    public void OnRecord(in FlowRecord record)
    {
        Records++;
        _ = _evaluator.Evaluate(record);
        _ = _whole.Add(record);
        _ = _windowed.Add(record);
    }

    /// <summary>
    /// Completes both aggregators, flushes the writers and frees the aggregators' tables at once, so that no finalizer
    /// runs (instrumented code) in the middle of a later execution and shows as coverage that input did not cause.
    /// </summary>
    public void Complete()
    {
        _whole.Complete();
        _windowed.Complete();
        _json.Flush();
        _csv.Flush();
        _whole.Dispose();
        _windowed.Dispose();
    }
}
