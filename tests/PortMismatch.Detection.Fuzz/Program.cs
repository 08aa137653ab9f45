using System.Diagnostics;
using System.Runtime.CompilerServices;
using PortMismatch.Detection.Fuzz;
using SharpFuzz;

// Usage:
//   fuzz <target>                 run under afl-fuzz (SharpFuzz persistent mode; the input comes from AFL)
//   replay <target> <path>...     run each file (or each file in each directory); exit 1 if any input crashes
//   seeds <target> <directory>    write the generated seed inputs of a target
//   smoke                         every target over its seeds (a quick self-check)
if (args.Length == 0)
{
    return Usage();
}

switch (args[0])
{
    case "fuzz" when args.Length == 2 && TargetNames.All.Contains(args[1]):
        Fuzz(args[1]);
        return 0;
    case "replay" when args.Length >= 3 && TargetNames.All.Contains(args[1]):
        return Replay(args[1], args[2..]);
    case "seeds" when args.Length == 3 && TargetNames.All.Contains(args[1]):
        Directory.CreateDirectory(args[2]);
        foreach (var (name, bytes) in Seeds.For(args[1]))
        {
            File.WriteAllBytes(Path.Combine(args[2], name), bytes);
        }

        return 0;
    case "smoke" when args.Length == 1:
        FuzzTargets.Verbose = true;
        var failures = 0;
        foreach (var name in TargetNames.All)
        {
            foreach (var (file, bytes) in Seeds.For(name))
            {
                failures += RunOne(name, file, bytes) ? 0 : 1;
            }
        }

        return failures == 0 ? 0 : 1;
    default:
        return Usage();
}

// No library code may run before Fuzzer.Run (see TargetNames): the target is only touched inside the callback, and this
// method is kept out of Main so that compiling Main initialises nothing of the library.
[MethodImpl(MethodImplOptions.NoInlining)]
static void Fuzz(string target)
{
    Fuzzer.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        FuzzTargets.Run(target, copy.ToArray());
    });
}

static int Usage()
{
    Console.Error.WriteLine($"usage: fuzz <target> | replay <target> <path>... | seeds <target> <dir> | smoke; targets: {string.Join(", ", TargetNames.All)}");
    return 2;
}

static int Replay(string target, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal).ToList();
    var crashes = 0;
    var slowest = (File: "", Milliseconds: 0.0);
    foreach (var file in files)
    {
        var clock = Stopwatch.StartNew();
        crashes += RunOne(target, file, File.ReadAllBytes(file)) ? 0 : 1;
        if (clock.Elapsed.TotalMilliseconds > slowest.Milliseconds)
        {
            slowest = (file, clock.Elapsed.TotalMilliseconds);
        }
    }

    Console.WriteLine($"{target}: {files.Count} inputs, {crashes} crashed; slowest {slowest.Milliseconds:F1} ms ({slowest.File})");
    return crashes == 0 ? 0 : 1;
}

static bool RunOne(string target, string name, byte[] bytes)
{
    try
    {
        FuzzTargets.Run(target, bytes);
        if (FuzzTargets.Verbose)
        {
            Console.WriteLine($"{target} {name}: {FuzzTargets.LastSummary}");
        }

        return true;
    }
    catch (Exception e)
    {
        Console.WriteLine($"CRASH {target} {name}: {e}");
        return false;
    }
}
