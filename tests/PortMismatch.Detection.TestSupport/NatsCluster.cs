using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;

namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// A three-node JetStream cluster of <c>nats-server</c> (Debian's package, 2.9) on 127.0.0.1, for the tests that must see a
/// replicated stream survive a node: each node has a client, a cluster and a monitoring port picked free, a config file
/// (<c>server_name</c>, <c>jetstream { store_dir }</c>, <c>cluster { name, listen, routes }</c>) and its own storage, and the
/// same lifetime cap as <see cref="NatsServer"/>. A node can be stopped and started again on the same ports and storage,
/// as an operator restarting one machine does. What the tests ask of it they read from the monitoring endpoint
/// (<c>/healthz</c>, <c>/jsz</c>), so this class needs no NATS client.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    /// <summary>The number of nodes.</summary>
    public const int Size = 3;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly string _directory;
    private readonly Node[] _nodes;

    private NatsCluster(string directory, Node[] nodes)
    {
        _directory = directory;
        _nodes = nodes;
    }

    /// <summary>Gets the client URL of each node, <c>nats://127.0.0.1:port</c>.</summary>
    public IReadOnlyList<string> Urls => [.. _nodes.Select(static node => $"nats://127.0.0.1:{node.ClientPort}")];

    /// <summary>Gets every node's client URL joined by commas, as <c>--nats</c> and NATS.Net's <c>NatsOpts.Url</c> take them.</summary>
    public string Url => string.Join(',', Urls);

    /// <summary>Starts the three nodes and waits until the cluster has a JetStream meta leader; skips the test when nats-server is not installed.</summary>
    public static async Task<NatsCluster> StartOrSkip()
    {
        if (NatsServer.Executable is null)
        {
            Assert.Skip("nats-server is not installed (Debian: apt-get install nats-server; .ci/run installs it)");
        }

        var directory = Directory.CreateTempSubdirectory("pm-nats-cluster-").FullName;
        var nodes = new Node[Size];
        for (var i = 0; i < Size; i++)
        {
            nodes[i] = new Node(i, NatsServer.FreePort(), NatsServer.FreePort(), NatsServer.FreePort(), Path.Combine(directory, $"n{i}"));
        }

        var cluster = new NatsCluster(directory, nodes);
        try
        {
            foreach (var node in nodes)
            {
                node.WriteConfig(nodes);
                node.Start();
            }

            await cluster.WaitUntilReadyAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Gets whether node <paramref name="index"/> is running.</summary>
    /// <param name="index">The node, 0 to <see cref="Size"/> - 1.</param>
    public bool IsRunning(int index) => _nodes[index].IsRunning;

    /// <summary>Gets node <paramref name="index"/>'s <c>server_name</c> (<c>n0</c>, <c>n1</c>, <c>n2</c>).</summary>
    /// <param name="index">The node.</param>
    public static string NameOf(int index) => $"n{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Stops node <paramref name="index"/> as a service manager does (SIGTERM: the server closes its stores and leaves), or
    /// kills it (SIGKILL: a crash, the stores as they are) when <paramref name="kill"/> is set, and waits until it is gone.
    /// </summary>
    /// <param name="index">The node.</param>
    /// <param name="kill">Whether to kill it instead of stopping it.</param>
    public Task StopNode(int index, bool kill = false) => _nodes[index].StopAsync(kill);

    /// <summary>
    /// Starts node <paramref name="index"/> again on its ports and storage and waits until it reports itself healthy
    /// (<c>/healthz</c>: JetStream on and its replicas current) and the cluster has a meta leader.
    /// </summary>
    /// <param name="index">The node.</param>
    public async Task StartNode(int index)
    {
        _nodes[index].Start();
        await WaitUntilReadyAsync();
    }

    /// <summary>Gets the index of the node that leads stream <paramref name="stream"/> now, or -1 when no running node says it does.</summary>
    /// <param name="stream">The stream's name.</param>
    public async Task<int> StreamLeaderAsync(string stream)
    {
        foreach (var node in _nodes)
        {
            if (await node.StreamAsync(stream) is { } detail
                && detail.TryGetProperty("cluster", out var cluster)
                && cluster.TryGetProperty("leader", out var leader)
                && leader.GetString() is { Length: > 0 } name)
            {
                return IndexOf(name);
            }
        }

        return -1;
    }

    /// <summary>Waits until a running node other than <paramref name="notIndex"/> leads <paramref name="stream"/>, and returns it.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="notIndex">The node that must not be the leader (the one just stopped), or -1.</param>
    public async Task<int> WaitForStreamLeaderAsync(string stream, int notIndex = -1)
    {
        var leader = -1;
        await UntilAsync(
            async () =>
            {
                leader = await StreamLeaderAsync(stream);
                return leader >= 0 && leader != notIndex && _nodes[leader].IsRunning;
            },
            () => $"stream {stream} has no leader other than n{notIndex} (last seen: {leader})",
            Poll.DefaultTimeout);
        return leader;
    }

    /// <summary>
    /// Gets the number of messages node <paramref name="index"/>'s own replica of <paramref name="stream"/> holds (its
    /// <c>/jsz</c>), or -1 when the node is down or holds no replica of it: how a test sees a restarted node catch up.
    /// </summary>
    /// <param name="index">The node.</param>
    /// <param name="stream">The stream's name.</param>
    public async Task<long> ReplicaMessagesAsync(int index, string stream)
        => await _nodes[index].StreamAsync(stream) is { } detail && detail.TryGetProperty("state", out var state)
            ? state.GetProperty("messages").GetInt64()
            : -1;

    /// <summary>Stops every node (the whole process trees) and deletes their storage.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopAsync(kill: true);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open by a dying server; the folder is in /tmp
        }
    }

    private static int IndexOf(string serverName)
        => serverName.Length == 2 && serverName[0] == 'n' && serverName[1] is >= '0' and <= '2' ? serverName[1] - '0' : -1;

    private async Task WaitUntilReadyAsync()
    {
        var last = "nothing yet";
        await UntilAsync(
            async () =>
            {
                last = await ReadinessAsync();
                return last.Length == 0;
            },
            () => $"the cluster is not ready: {last}",
            TimeSpan.FromSeconds(60));
    }

    // Poll.UntilAsync for a condition that is itself asynchronous (an HTTP request), every 50 ms.
    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string> lastSeen, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed >= timeout)
            {
                Assert.Fail($"not within {timeout.TotalSeconds:0.###} s: {lastSeen()}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    // Empty when every running node is healthy and knows the same meta leader, else what is missing.
    private async Task<string> ReadinessAsync()
    {
        string? leader = null;
        foreach (var node in _nodes)
        {
            if (!node.IsRunning)
            {
                if (node.ExitedUnexpectedly)
                {
                    Assert.Fail($"nats-server {NameOf(node.Index)} exited at start:\n{node.Output}");
                }

                continue;
            }

            if (await node.GetAsync("/healthz") is not { } health || health.GetProperty("status").GetString() != "ok")
            {
                return $"{NameOf(node.Index)} not healthy";
            }

            if (await node.GetAsync("/jsz") is not { } jsz
                || !jsz.TryGetProperty("meta_cluster", out var meta)
                || !meta.TryGetProperty("leader", out var metaLeader)
                || metaLeader.GetString() is not { Length: > 0 } name)
            {
                return $"{NameOf(node.Index)} knows no meta leader";
            }

            if (leader is not null && leader != name)
            {
                return $"{NameOf(node.Index)} names meta leader {name}, another node {leader}";
            }

            leader = name;
        }

        return leader is null ? "no node runs" : string.Empty;
    }

    private sealed class Node(int index, int clientPort, int clusterPort, int monitorPort, string directory)
    {
        private readonly System.Text.StringBuilder _output = new();
        private Process? _process;
        private bool _stopping;

        public int Index { get; } = index;

        public int ClientPort { get; } = clientPort;

        public bool IsRunning => _process is { HasExited: false };

        public bool ExitedUnexpectedly => _process is { HasExited: true } && !_stopping;

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

        private string ConfigPath => Path.Combine(directory, "server.conf");

        public void WriteConfig(Node[] all)
        {
            Directory.CreateDirectory(Path.Combine(directory, "store"));
            var routes = string.Join(", ", all.Select(static node => $"nats-route://127.0.0.1:{node.ClusterPortValue}"));
            File.WriteAllText(ConfigPath, $$"""
                server_name: {{NameOf(Index)}}
                listen: 127.0.0.1:{{ClientPort}}
                http: 127.0.0.1:{{monitorPort}}
                jetstream { store_dir: "{{Path.Combine(directory, "store")}}" }
                cluster {
                  name: pm
                  listen: 127.0.0.1:{{clusterPort}}
                  routes: [{{routes}}]
                }
                """);
        }

        public void Start()
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"{NameOf(Index)} runs already");
            }

            _process?.Dispose();
            _stopping = false;
            var start = new ProcessStartInfo("timeout")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])[$"{(int)NatsServer.Lifetime.TotalSeconds}", NatsServer.Executable!, "-c", ConfigPath])
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start");
            process.OutputDataReceived += Keep;
            process.ErrorDataReceived += Keep;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }

        public async Task StopAsync(bool kill)
        {
            if (_process is not { } process || process.HasExited)
            {
                return;
            }

            _stopping = true;
            try
            {
                if (kill)
                {
                    process.Kill(entireProcessTree: true);
                }
                else
                {
                    // coreutils timeout passes SIGTERM on to the server, which then shuts down cleanly.
                    using var signal = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
                    await signal.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }

                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
        }

        public async Task<JsonElement?> GetAsync(string pathAndQuery)
        {
            if (!IsRunning)
            {
                return null;
            }

            try
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{monitorPort}{pathAndQuery}"));
                if (!response.IsSuccessStatusCode && pathAndQuery != "/healthz")
                {
                    return null;
                }

                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return document.RootElement.Clone();
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException)
            {
                return null; // starting or stopping
            }
        }

        // This node's view of one stream (its own replica): /jsz with the account and stream details.
        public async Task<JsonElement?> StreamAsync(string stream)
        {
            if (await GetAsync("/jsz?accounts=true&streams=true") is not { } jsz
                || !jsz.TryGetProperty("account_details", out var accounts))
            {
                return null;
            }

            foreach (var account in accounts.EnumerateArray())
            {
                if (!account.TryGetProperty("stream_detail", out var streams))
                {
                    continue;
                }

                foreach (var detail in streams.EnumerateArray())
                {
                    if (detail.GetProperty("name").GetString() == stream)
                    {
                        return detail;
                    }
                }
            }

            return null;
        }

        private int ClusterPortValue => clusterPort;

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
}
