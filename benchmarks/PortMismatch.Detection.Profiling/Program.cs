using System.Globalization;
using PortMismatch.Detection.Benchmarks;

return args.Length >= 2
    ? Profiler.Run(args[0], int.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? args[2] : null)
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: PortMismatch.Detection.Profiling <Evaluator.IsMismatch|Evaluator.Evaluate|Aggregator.Add|Zeek.TsvRead|...> <invocations> [parameter]");
    return 2;
}
