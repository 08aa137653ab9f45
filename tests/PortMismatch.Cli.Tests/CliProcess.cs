using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace PortMismatch.Cli.Tests;

/// <summary>
/// <c>portmismatch</c> as a process of its own, for what only a process shows: signals, a closed standard output, a crash.
/// Every wait is bounded: a process still running at the end of its time is killed and the test fails.
/// </summary>
internal sealed partial class CliProcess : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stderrDone.TrySetResult();
                return;
            }

            lock (_stderr)
            {
                _stderr.Append(e.Data).Append('\n');
            }
        };
        _process.BeginErrorReadLine();
    }

    public StreamReader StandardOutput => _process.StandardOutput;

    public StreamWriter StandardInput => _process.StandardInput;

    public int Id => _process.Id;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// Runs the CLI in this process on a thread of the pool and waits for it at most <see cref="Patience"/> (a run that
    /// blocks before its first await, as a folder walk does, would otherwise hold the test itself).
    /// </summary>
    public static Task<int> Bounded(Func<Task<int>> run)
        => Task.Run(run, TestContext.Current.CancellationToken).WaitAsync(Patience, TestContext.Current.CancellationToken);

    /// <summary>Runs the CLI in this process (<see cref="Bounded"/>) and returns its exit code and what it wrote.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunInProcess(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Bounded(() => CommandLine.RunAsync(args, stdout, stderr, TestContext.Current.CancellationToken));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the CLI in this process until it ends or <paramref name="cancellationToken"/> stops it (listen).</summary>
    public static async Task<(int Exit, string Out, string Err)> RunInProcess(CancellationToken cancellationToken, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, stdout, stderr, cancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts <c>dotnet portmismatch.dll</c> (the build next to the tests) with standard output and error read by the test.</summary>
    public static CliProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "portmismatch.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new CliProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>Waits until standard error has a line containing <paramref name="text"/>; fails the test after <see cref="Patience"/>.</summary>
    public async Task WaitForErrorAsync(string text)
    {
        var deadline = Stopwatch.StartNew();
        while (!StandardError.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited && _stderrDone.Task.IsCompleted, $"the process ended without writing '{text}':\n{StandardError}");
            Assert.True(deadline.Elapsed < Patience, $"no '{text}' on standard error within {Patience}:\n{StandardError}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits for the exit code; a process still running after <paramref name="timeout"/> is killed and the test fails.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"portmismatch did not exit within {timeout}; standard error:\n{StandardError}");
        }

        await _stderrDone.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        return _process.ExitCode;
    }

    /// <summary>Gets whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Kills the process (SIGKILL: no handler runs) and waits until it is gone.</summary>
    public void KillNow()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Sends SIGTERM, as a service manager stopping the job does.</summary>
    public void Terminate() => Assert.Equal(0, Kill(_process.Id, 15));

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
