using System.Globalization;

namespace PortMismatch.Detection.Benchmarks;

/// <summary>Runs one benchmark method in a loop outside BenchmarkDotNet (for instruction counting under callgrind).</summary>
internal static class Profiler
{
    public static int Run(string name, int invocations, string? parameter)
    {
        Func<long> body;
        switch (name)
        {
            case "Evaluator.IsMismatch":
            case "Evaluator.Evaluate":
            {
                var benchmarks = new EvaluatorBenchmarks();
                benchmarks.Setup();
                body = name.EndsWith("IsMismatch", StringComparison.Ordinal) ? () => benchmarks.IsMismatch() : () => benchmarks.Evaluate();
                break;
            }

            case "Aggregator.Add":
            {
                var benchmarks = new AggregatorBenchmarks { Keys = parameter ?? "uniform" };
                benchmarks.Setup();
                body = () =>
                {
                    benchmarks.Add();
                    return 0;
                };
                break;
            }

            case "Zeek.TsvRead":
            case "Zeek.TsvReadEvaluate":
            case "Zeek.TsvReadAggregate":
            case "Zeek.JsonRead":
            case "Zeek.JsonReadAggregate":
            {
                var benchmarks = new ZeekReaderBenchmarks();
                benchmarks.Setup();
                body = name switch
                {
                    "Zeek.TsvRead" => () => benchmarks.TsvRead(),
                    "Zeek.TsvReadEvaluate" => () => benchmarks.TsvReadEvaluate(),
                    "Zeek.TsvReadAggregate" => () => benchmarks.TsvReadAggregate(),
                    "Zeek.JsonRead" => () => benchmarks.JsonRead(),
                    _ => () => benchmarks.JsonReadAggregate(),
                };
                break;
            }

            default:
                Console.Error.WriteLine($"unknown profile target {name}");
                return 2;
        }

        // A fixed warm-up, so that runs with different invocation counts differ only in the measured invocations.
        long sink = 0;
        for (var i = 0; i < 3; i++)
        {
            sink += body();
        }

        // Processor time as well as wall-clock time: on a shared machine the first excludes the time spent waiting for a core.
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < invocations; i++)
        {
            sink += body();
        }

        watch.Stop();
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} x{invocations}: {sink} in {watch.Elapsed.TotalMilliseconds:F1} ms, cpu {cpuMs:F1} ms"));
        return 0;
    }
}
