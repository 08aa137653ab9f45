using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.Hosting.Tests;

/// <summary>
/// <c>AddHostedDetection</c> in a real Generic Host: it reads the registered sources into the registered sink from start
/// to stop, completes the sink once with the final counters, and refuses to start without a sink or a source.
/// </summary>
public sealed class HostedDetectionTests : IDisposable
{
    /// <summary>A bound on what must happen by itself: a hang fails the test instead of stalling the suite.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("pm-hosting-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_hosted_detection_reads_a_file_into_the_sink_and_completes_it_once_with_the_final_counters()
    {
        // Three DNS connections to port 5353 from one host (one ESCU row, count 3), one to 53 (no row), one SSH (no rule).
        var log = Write("conn.log",
            ConnLog(
                ("1700000000.0", "10.0.0.1", "192.0.2.9", 5353, "udp", "dns"),
                ("1700000001.0", "10.0.0.1", "192.0.2.9", 5353, "udp", "dns"),
                ("1700000002.0", "10.0.0.1", "192.0.2.9", 5353, "udp", "dns"),
                ("1700000003.0", "10.0.0.1", "192.0.2.9", 53, "udp", "dns"),
                ("1700000004.0", "10.0.0.2", "192.0.2.9", 22, "tcp", "ssh")));
        var sink = new CompletionSink();
        using var host = Build(services =>
        {
            services.AddSingleton<IMismatchRowSink>(sink);
            services.AddPortMismatchDetection().AddZeek(o => o.Files.Add(log)).AddHostedDetection();
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var counters = await sink.Completed.WaitAsync(Hang, TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken).WaitAsync(Hang, TestContext.Current.CancellationToken);

        var row = Assert.Single(sink.Rows);
        Assert.Equal(("dns", 5353, 3L), (row.App, row.DestinationPort, row.Count));
        Assert.Equal(1, sink.Completions);
        Assert.Equal(5, counters.Input.Read);
        Assert.Equal(3, counters.RecordsSelected);
        Assert.Equal(1, counters.RowsWritten);
    }

    [Fact]
    public async Task Stopping_the_host_stops_a_live_source_writes_its_open_window_and_completes_the_sink()
    {
        // A live source: pushes one mismatch into a one-hour window, then waits like a socket until the run is cancelled.
        var log = Write("conn.log", ConnLog(("1700000000.0", "10.0.0.1", "192.0.2.9", 8053, "udp", "dns")));
        var sink = new CompletionSink();
        var exitCode = Environment.ExitCode;
        using var host = Build(services =>
        {
            services.AddSingleton<IMismatchRowSink>(sink);
            services.AddSingleton<IFlowSource>(new LiveSource(Zeek.ZeekConnInput.FileSource(log)));
            services.AddPortMismatchDetection(o => o.Window = TimeSpan.FromHours(1)).AddHostedDetection();
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var pipeline = host.Services.GetRequiredService<DetectionPipeline>();
        await Poll.UntilAsync(() => pipeline.GetCounters(), c => c.RecordsSelected == 1, "the live source's mismatch");
        Assert.Empty(sink.Rows); // the window is open
        await host.StopAsync(TestContext.Current.CancellationToken).WaitAsync(Hang, TestContext.Current.CancellationToken);

        Assert.True(sink.Completed.IsCompletedSuccessfully);
        Assert.Equal(1, sink.Completions);
        Assert.Equal(8053, Assert.Single(sink.Rows).DestinationPort);
        Assert.Equal(exitCode, Environment.ExitCode); // a stop is not a failure
    }

    [Fact]
    public async Task A_host_without_a_row_sink_fails_at_start_saying_so()
    {
        var log = Write("conn.log", ConnLog(("1700000000.0", "10.0.0.1", "192.0.2.9", 53, "udp", "dns")));
        using var host = Build(services => services.AddPortMismatchDetection().AddZeek(o => o.Files.Add(log)).AddHostedDetection());

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("No IMismatchRowSink is registered: the detection has nowhere to write its rows.", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_without_a_source_fails_at_start_saying_so()
    {
        using var host = Build(services =>
        {
            services.AddSingleton<IMismatchRowSink>(new CompletionSink());
            services.AddPortMismatchDetection().AddHostedDetection();
        });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("No IFlowSource is registered: the hosted detection has nothing to read.", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_given_in_code_and_by_name_fail_at_start()
    {
        var log = Write("conn.log", ConnLog(("1700000000.0", "10.0.0.1", "192.0.2.9", 53, "udp", "dns")));
        using var host = Build(services =>
        {
            services.AddSingleton<IMismatchRowSink>(new CompletionSink());
            services.AddPortMismatchDetection(o => o.Rules = "escu").UseRules(RuleSet.Extended).AddZeek(o => o.Files.Add(log)).AddHostedDetection();
        });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("UseRules", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_the_hosted_detection_twice_registers_it_once()
    {
        var services = new ServiceCollection();
        services.AddPortMismatchDetection().AddHostedDetection().AddHostedDetection();
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public async Task A_sink_that_fails_stops_the_host_with_exit_code_2()
    {
        var log = Write("conn.log", ConnLog(("1700000000.0", "10.0.0.1", "192.0.2.9", 8053, "udp", "dns")));
        var exitCode = Environment.ExitCode;
        try
        {
            using var host = Build(services =>
            {
                services.AddSingleton<IMismatchRowSink>(new FullDisk());
                services.AddPortMismatchDetection().AddZeek(o => o.Files.Add(log)).AddHostedDetection();
            });

            // The host stops itself: WaitForShutdownAsync returns once the service has called StopApplication.
            await host.StartAsync(TestContext.Current.CancellationToken);
            await host.WaitForShutdownAsync(TestContext.Current.CancellationToken).WaitAsync(Hang, TestContext.Current.CancellationToken);
            Assert.Equal(2, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = exitCode; // the test process's own
        }
    }

    private static IHost Build(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        configure(builder.Services);
        return builder.Build();
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A Zeek TSV conn.log with the columns the detection reads.</summary>
    private static string ConnLog(params (string Ts, string Source, string Destination, int Port, string Proto, string Service)[] rows)
    {
        var text = new StringBuilder()
            .Append("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n")
            .Append("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n")
            .Append("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n");
        foreach (var (ts, source, destination, port, proto, service) in rows)
        {
            text.Append(ts).Append("\tC1\t").Append(source).Append("\t40000\t").Append(destination).Append('\t')
                .Append(port).Append('\t').Append(proto).Append('\t').Append(service).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Keeps the rows and counts the completions; <see cref="Completed"/> gives the first one's counters.</summary>
    private sealed class CompletionSink : IMismatchRowSink
    {
        private readonly TaskCompletionSource<DetectionCounters> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<MismatchRow> _rows = [];
        private int _completions;

        public Task<DetectionCounters> Completed => _completed.Task;

        public int Completions => Volatile.Read(ref _completions);

        public List<MismatchRow> Rows
        {
            get
            {
                lock (_rows)
                {
                    return [.. _rows];
                }
            }
        }

        public void OnRow(MismatchRow row)
        {
            lock (_rows)
            {
                _rows.Add(row);
            }
        }

        public ValueTask OnCompletedAsync(DetectionCounters counters)
        {
            Interlocked.Increment(ref _completions);
            _completed.TrySetResult(counters);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FullDisk : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => throw new IOException("No space left on device");
    }

    /// <summary>Reads a file source, then waits until cancelled, as a socket does.</summary>
    private sealed class LiveSource(IFlowSource inner) : IFlowSource
    {
        public string Name => "live " + inner.Name;

        public InputCounters Counters => inner.Counters;

        public async Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken)
        {
            await inner.ReadAsync(sink, cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // A live source returns normally when cancelled.
            }
        }
    }
}
