using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PortMismatch.Detection;
using PortMismatch.Worker;

namespace PortMismatch.Cli.Tests;

/// <summary>The Generic Host sample: configured like appsettings.json would, it collects IPFIX over UDP and writes JSON Lines.</summary>
public sealed class WorkerSampleTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-worker-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task The_worker_collects_ipfix_over_udp_and_writes_the_rows_of_a_scan_as_json_lines()
    {
        var ipfixFile = Repository.Sample("ipfix-export.ipfix");
        var scanOut = Path.Combine(_temp, "scan.jsonl");
        Assert.Equal(0, await CommandLine.RunAsync(["scan", ipfixFile, "--window", "1h", "--output", "jsonl", "--out", scanOut, "--quiet"], new StringWriter(), new StringWriter(), TestContext.Current.CancellationToken));

        var port = LiveTestSupport.FreeUdpPort();
        var output = Path.Combine(_temp, "findings.jsonl");
        using var host = WorkerHost.Build(
        [
            $"--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:{port}",
            $"--PortMismatch:Output={output}",
            "--PortMismatch:Window=01:00:00",
            "--PortMismatch:AllowedLateness=00:00:00",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await host.StartAsync(TestContext.Current.CancellationToken);

        using var sender = new UdpClient(AddressFamily.InterNetwork);
        foreach (var message in LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(ipfixFile, TestContext.Current.CancellationToken)))
        {
            await sender.SendAsync(message, new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        }

        // Every mismatch of the scan has reached the pipeline before the stop (which writes the open window).
        var scanned = File.ReadAllLines(scanOut);
        var mismatches = LiveTestSupport.SumOfCounts(scanned);
        var pipeline = host.Services.GetRequiredService<DetectionPipeline>();
        await Poll.UntilAsync(() => pipeline.GetCounters(), counters => counters.RecordsSelected >= mismatches, $"the worker's counters with {mismatches} mismatches sent");
        await host.StopAsync(TestContext.Current.CancellationToken);
        host.Dispose();

        var expected = LiveTestSupport.Combine(scanned);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, LiveTestSupport.Combine(File.ReadAllLines(output)));
    }

    [Fact]
    public async Task When_the_output_fails_the_worker_logs_the_failure_with_the_counters_and_exits_with_code_2()
    {
        // The rows of a one-hour window are written when the host stops; the output then refuses the first (a full disk).
        var ipfixFile = Repository.Sample("ipfix-export.ipfix");
        var port = LiveTestSupport.FreeUdpPort();
        var full = new IOException("No space left on device");
        var logs = new LogLines();
        var exitCode = Environment.ExitCode;
        try
        {
            using var host = WorkerHost.Build(
                [
                    $"--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:{port}",
                    $"--PortMismatch:Output={Path.Combine(_temp, "unused.jsonl")}",
                    "--PortMismatch:Window=01:00:00",
                    "--Logging:LogLevel:Default=Warning",
                ],
                services =>
                {
                    services.AddSingleton<IMismatchRowSink>(new FullDisk(full));
                    services.AddSingleton<ILoggerProvider>(logs);
                });
            await host.StartAsync(TestContext.Current.CancellationToken);
            using var sender = new UdpClient(AddressFamily.InterNetwork);
            foreach (var message in LiveTestSupport.IpfixMessages(await File.ReadAllBytesAsync(ipfixFile, TestContext.Current.CancellationToken)))
            {
                await sender.SendAsync(message, new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
            }

            // Polls a count the collector reaches by itself; the bound only turns a lost datagram into a failure.
            var pipeline = host.Services.GetRequiredService<DetectionPipeline>();
            await Poll.UntilAsync(() => pipeline.GetCounters(), counters => counters.RecordsSelected > 0, "a mismatch over loopback");
            await host.StopAsync(TestContext.Current.CancellationToken);

            Assert.Equal(WorkerProgram.ErrorExitCode, Environment.ExitCode);
            var failure = Assert.Single(logs.Lines, l => l.Level == LogLevel.Critical);
            Assert.Same(full, failure.Exception);
            var counters = pipeline.GetCounters();
            Assert.Equal(1, counters.RowsEmitted - counters.RowsWritten); // the refused row
            Assert.Contains(counters.ToString(), failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.ExitCode = exitCode; // the test process's own
        }
    }

    [Fact]
    public void A_bad_setting_stops_the_worker_at_startup_with_its_name()
    {
        using var host = WorkerHost.Build(["--PortMismatch:Rules=escu,typo", "--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:0", $"--PortMismatch:Output={Path.Combine(_temp, "x.jsonl")}", "--Logging:LogLevel:Default=None"]);
        var e = Assert.ThrowsAny<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.Contains("PortMismatchDetectionOptions.Rules 'escu,typo'", e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--PortMismatch:Rules=nonexistent", "PortMismatchDetectionOptions.Rules 'nonexistent': Unknown rule set 'nonexistent'")]
    [InlineData("--PortMismatch:Window=5 minutes", "Failed to convert configuration value '5 minutes' at 'PortMismatch:Window'")]
    [InlineData("--PortMismatch:Widnow=00:05:00", "Unknown setting 'PortMismatch:Widnow'")]
    public async Task A_configuration_error_is_one_line_on_stderr_and_exit_code_2(string setting, string expected)
    {
        var stderr = new StringWriter();
        var rc = await WorkerProgram.RunAsync(
            [setting, "--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:0", $"--PortMismatch:Output={Path.Combine(_temp, "x.jsonl")}", "--Logging:LogLevel:Default=None"],
            stderr);

        Assert.Equal(2, rc);
        var line = Assert.Single(stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("portmismatch-worker: error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", line.Replace(" at 'PortMismatch:", "", StringComparison.Ordinal), StringComparison.Ordinal); // no stack frame
    }

    [Fact]
    public void Keys_are_read_in_any_case_as_the_configuration_binder_reads_them()
    {
        using var host = WorkerHost.Build(["--portmismatch:window=00:10:00", "--PortMismatch:Ipfix:ListenEndPoint=127.0.0.1:0", $"--PortMismatch:Output={Path.Combine(_temp, "x.jsonl")}", "--Logging:LogLevel:Default=None"]);
        Assert.Equal(TimeSpan.FromMinutes(10), host.Services.GetRequiredService<DetectionPipelineOptions>().Aggregation.Window);
    }

    private sealed class FullDisk(IOException error) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row) => throw error;
    }

    /// <summary>Keeps every log line of the host (its loggers write from the worker's thread).</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly List<(LogLevel Level, string Message, Exception? Exception)> _lines = [];

        public List<(LogLevel Level, string Message, Exception? Exception)> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add((logLevel, formatter(state, exception), exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
