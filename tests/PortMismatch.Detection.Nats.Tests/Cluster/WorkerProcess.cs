using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PortMismatch.Detection.Nats.Tests.Cluster;

/// <summary>
/// One <c>portmismatch worker</c> process (the CLI built next to the tests, run by <c>dotnet exec</c>) under coreutils
/// <c>timeout</c>, so that it stops itself even when the test process dies. SIGKILL goes to the worker itself (a crash:
/// nothing of it runs), SIGTERM to <c>timeout</c>, which passes it on (a service manager stopping it).
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private static readonly Lazy<string?> Missing = new(FindMissing);

    private readonly Process _timeout;
    private readonly StringBuilder _output = new();

    private WorkerProcess(string name, Process timeout)
    {
        Name = name;
        _timeout = timeout;
        _timeout.OutputDataReceived += Keep;
        _timeout.ErrorDataReceived += Keep;
        _timeout.BeginOutputReadLine();
        _timeout.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Gets what it wrote (standard output and error, interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _timeout.HasExited;

    /// <summary>Skips the test when the CLI has no <c>worker</c> command (a build from before it).</summary>
    public static void SkipUnlessAvailable()
    {
        if (Missing.Value is { } why)
        {
            Assert.Skip(why);
        }
    }

    /// <summary>Starts <c>portmismatch worker</c> with the contract's options (docs/SCALE-OUT.md) and <paramref name="more"/>.</summary>
    public static WorkerProcess Start(string name, string urls, TimeSpan window, params string[] more)
    {
        var start = Command(
            [
                "worker", "--nats", urls, "--stream", FlowStream.Flows, "--findings", FlowStream.Findings,
                "--partitions", FlowStream.Partitions.ToString(CultureInfo.InvariantCulture), "--replicas", "3",
                "--window", $"{(int)window.TotalSeconds}s", "--rules", "escu", "--idle-close", "2s", "--id", name, .. more,
            ],
            lifetime: NatsServer.Lifetime);
        return new WorkerProcess(name, Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Gets the worker's process id (the child of <c>timeout</c>), waiting for it to have started.</summary>
    public async Task<int> WorkerPidAsync()
    {
        var pid = 0;
        await Poll.UntilAsync(
            () =>
            {
                pid = ChildOf(_timeout.Id);
                return pid != 0 || _timeout.HasExited;
            },
            () => $"worker {Name} has no process yet");
        Assert.False(pid == 0, $"worker {Name} ended at start:\n{Output}");
        return pid;
    }

    /// <summary>Gets the worker's peak resident memory (VmHWM of /proc/&lt;pid&gt;/status) in bytes.</summary>
    public async Task<long> PeakResidentBytesAsync()
    {
        var status = await File.ReadAllLinesAsync($"/proc/{await WorkerPidAsync()}/status", TestContext.Current.CancellationToken);
        var line = status.Single(static line => line.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Kills the worker with SIGKILL (no handler, no commit, no lease release) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        using (var worker = Process.GetProcessById(await WorkerPidAsync()))
        {
            worker.Kill();
        }

        await _timeout.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    /// <summary>Sends SIGTERM and returns the exit code; fails the test when it does not exit within <paramref name="patience"/>.</summary>
    public async Task<int> StopAsync(TimeSpan patience)
    {
        using (var signal = Process.Start("kill", ["-TERM", _timeout.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        try
        {
            await _timeout.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(patience, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"worker {Name} did not exit within {patience} of SIGTERM:\n{Output}");
        }

        return _timeout.ExitCode;
    }

    public void Dispose()
    {
        if (!_timeout.HasExited)
        {
            _timeout.Kill(entireProcessTree: true);
            _timeout.WaitForExit(10_000);
        }

        _timeout.Dispose();
    }

    private static ProcessStartInfo Command(string[] arguments, TimeSpan lifetime)
    {
        var start = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        foreach (var argument in (string[])[$"{(int)lifetime.TotalSeconds}", dotnet, "exec", Path.Combine(AppContext.BaseDirectory, "portmismatch.dll"), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    // Why the worker cannot run here, or null: `portmismatch help worker` answers 0 once the command exists.
    private static string? FindMissing()
    {
        using var help = Process.Start(Command(["help", "worker"], TimeSpan.FromSeconds(60)))!;
        var output = help.StandardOutput.ReadToEndAsync();
        var error = help.StandardError.ReadToEndAsync();
        if (!help.WaitForExit(60_000))
        {
            help.Kill(entireProcessTree: true);
            return "portmismatch help worker did not answer within 60 s";
        }

        return help.ExitCode == 0 ? null : $"this portmismatch has no worker command yet (help worker: rc {help.ExitCode}: {error.Result.Trim()}{output.Result.Trim()})";
    }

    private static int ChildOf(int pid)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length == 0 ? 0 : int.Parse(children[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0; // gone
        }
    }

    private void Keep(object sender, DataReceivedEventArgs line)
    {
        if (line.Data is { } text)
        {
            lock (_output)
            {
                _output.Append(text).Append('\n');
            }
        }
    }
}
