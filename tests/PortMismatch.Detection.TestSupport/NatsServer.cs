using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// A JetStream-enabled <c>nats-server</c> (Debian's package, 2.9) on 127.0.0.1 for one test or test class: a port the test
/// picks, its own storage folder, and a lifetime cap (coreutils <c>timeout</c>), so that it stops itself even when the test
/// process dies. <see cref="StartOrSkip"/> skips the test where nats-server is not installed (CI installs it).
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    /// <summary>How long a server may live at most: longer than any test, short enough that none outlives CI.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private readonly Process _process;
    private readonly string _directory;

    private NatsServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    /// <summary>Gets the client port.</summary>
    public int Port { get; }

    /// <summary>Gets the client URL, <c>nats://127.0.0.1:port</c>.</summary>
    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Gets the path of nats-server, or <see langword="null"/> when it is not installed.</summary>
    public static string? Executable { get; } = Find("nats-server");

    /// <summary>Starts a server and waits until it accepts connections; skips the test when nats-server is not installed.</summary>
    /// <param name="extraArguments">More command-line arguments (cluster options, for example).</param>
    public static async Task<NatsServer> StartOrSkip(params string[] extraArguments)
    {
        if (Executable is null)
        {
            Assert.Skip("nats-server is not installed (Debian: apt-get install nats-server; .ci/run installs it)");
        }

        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("pm-nats-").FullName;
        var start = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[$"{(int)Lifetime.TotalSeconds}", Executable!, "-js", "-a", "127.0.0.1", "-p", $"{port}", "-sd", directory, .. extraArguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NatsServer(process, directory, port);
        await Poll.UntilAsync(() => process.HasExited || Accepts(port), () => process.HasExited ? $"nats-server exited with {process.ExitCode}" : $"nothing listens on {port} yet");
        if (process.HasExited)
        {
            await server.DisposeAsync();
            Assert.Fail($"nats-server exited with {process.ExitCode} at start");
        }

        return server;
    }

    /// <summary>A TCP port nothing listens on now (the kernel's pick for port 0).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops the server (the whole process tree) and deletes its storage.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open by the dying server; the folder is in /tmp
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? Find(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
