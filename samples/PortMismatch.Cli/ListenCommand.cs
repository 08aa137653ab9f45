using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PortMismatch.Detection.Ipfix;
using PortMismatch.Detection.PanOs;
using PortMismatch.Detection.Siem;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch listen</c>: IPFIX / NetFlow v9 and PAN-OS syslog collectors (UDP; syslog also over TCP and TLS) feed one <see cref="DetectionPipeline"/>
/// with windows; each row is written (and flushed) as its window closes; cancellation (Ctrl-C, SIGTERM) emits the open windows.
/// </summary>
internal static class ListenCommand
{
    public static async Task<int> RunAsync(ScanOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var rules = options.LoadRules();
        var allowList = options.AllowList is null ? AllowList.Empty : AllowLists.Parse(options.AllowList);
        var rejectedLines = new RejectedLines(stderr, options.Quiet);
        void Report(InputDiagnostic diagnostic) => rejectedLines.Report(diagnostic);

        var sources = new List<IFlowSource>();
        IpfixUdpCollector? ipfix = null;
        PanOsSyslogUdpCollector? syslog = null;
        var streams = new List<PanOsSyslogTcpCollector>(2);
        X509Certificate2? certificate = null;
        try
        {
            if (options.IpfixListen is { } ipfixEndPoint)
            {
                ipfix = Bind("--ipfix", ipfixEndPoint, () => new IpfixUdpCollector(ipfixEndPoint, IpfixReaderOptions.Default with { IncludeReplies = options.AllDirections, MaxClockSkew = options.MaxClockSkew }, Report));
                sources.Add(ipfix);
            }

            if (options.SyslogListen is { } syslogEndPoint)
            {
                syslog = Bind("--syslog-udp", syslogEndPoint, () => new PanOsSyslogUdpCollector(syslogEndPoint, PanOsReaderOptions.Default with { TimeZone = options.InputTimeZone, MaxClockSkew = options.MaxClockSkew }, Report));
                sources.Add(syslog);
            }

            var panOsOptions = PanOsReaderOptions.Default with { TimeZone = options.InputTimeZone, MaxClockSkew = options.MaxClockSkew };
            if (options.SyslogTcpListen is { } tcpEndPoint)
            {
                streams.Add(Bind("--syslog-tcp", tcpEndPoint, () => new PanOsSyslogTcpCollector(tcpEndPoint, PanOsSyslogTcpOptions.Default, panOsOptions, Report)));
            }

            if (options.SyslogTlsListen is { } tlsEndPoint)
            {
                certificate = LoadCertificate(options.CertificatePath!, options.KeyPath!);
                streams.Add(Bind("--syslog-tls", tlsEndPoint, () => new PanOsSyslogTcpCollector(tlsEndPoint, PanOsSyslogTcpOptions.Default with { Certificate = certificate }, panOsOptions, Report)));
            }

            sources.AddRange(streams);

            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            var output = RowOutput.Open(options.OutputPath);
            var writerOptions = new RowWriterOptions { TimeZone = options.OutputTimeZone, IncludeWindow = true };
            var rowStream = options.HecUrl is null ? output : Stream.Null; // with --hec-url the rows go to Splunk alone
            using RowWriter writer = options.Output switch
            {
                OutputFormat.Csv => new CsvRowWriter(rowStream, writerOptions),
                OutputFormat.JsonLines => new JsonLinesRowWriter(rowStream, writerOptions),
                OutputFormat.Ecs => EcsOutput.CreateWriter(rowStream, options.Rules, leaveOpen: false),
                OutputFormat.Ocsf => new OcsfFindingWriter(rowStream, new OcsfWriterOptions { LeaveOpen = writerOptions.LeaveOpen }),
                _ => new TableRowWriter(rowStream, writerOptions),
            };
            var pipelineOptions = new DetectionPipelineOptions
            {
                Rules = rules,
                AllowList = allowList,
                Aggregation = AggregatorOptions.Default with { Window = options.Window, AllowedLateness = options.Lateness, Grouping = options.Grouping },
                MaxDegreeOfParallelism = sources.Count,
                IdleWindowClose = options.IdleClose,
            };

            await using var hec = HecOutput.Open(options);
            using var pipeline = new DetectionPipeline(pipelineOptions, hec ?? (IMismatchRowSink)new FlushingSink(writer));
            if (!options.Quiet)
            {
                var on = string.Join(" and ", sources.Select(s => s.Name));
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"portmismatch: listening on {on}; rows are written as {options.Window} windows close (by event time, or after {options.IdleClose} without a record). Ctrl-C writes the open windows and stops.")).ConfigureAwait(false);
            }

            DetectionResult? result = null;
            try
            {
                result = await pipeline.RunAsync(sources, cancellationToken).ConfigureAwait(false);
                writer.Flush();
            }
            catch (IOException) when (output.Failure is not null)
            {
                // The output failed (a full disk, a closed pipe): the pipeline stopped the run and rethrew the writer's
                // exception. Reported after the summary.
            }

            var counters = result?.Counters ?? pipeline.GetCounters();
            IReadOnlyList<SourceFailure> failures = result?.Failures ?? [];
            options.Stats?.Listened(StatsInputs(ipfix, syslog, streams, failures), counters, allowList);
            if (!options.Quiet)
            {
                await LiveSummary.WriteCountersAsync(stderr, rejectedLines, counters).ConfigureAwait(false);

                if (ipfix is not null)
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {ipfix.LocalEndPoint}: {ipfix.DatagramsReceived:N0} datagrams, {ipfix.DatagramsDroppedBySocket?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown"} dropped by the socket")).ConfigureAwait(false);
                }

                if (syslog is not null)
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {syslog.LocalEndPoint}: {syslog.DatagramsReceived:N0} datagrams, {syslog.DatagramsDroppedBySocket?.ToString("N0", CultureInfo.InvariantCulture) ?? "unknown"} dropped by the socket")).ConfigureAwait(false);
                }

                foreach (var stream in streams)
                {
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {stream.Name}: {stream.ConnectionsAccepted:N0} connections ({stream.ConnectionsRefused:N0} refused at the limit of {PanOsSyslogTcpOptions.DefaultMaxConnections}, {stream.ConnectionsTimedOut:N0} idle{(stream.IsTls ? string.Create(CultureInfo.InvariantCulture, $", {stream.TlsHandshakesFailed:N0} TLS handshakes failed") : string.Empty)}), {stream.Counters.Read:N0} frames, {stream.BytesReceived:N0} bytes")).ConfigureAwait(false);
                }

                foreach (var failure in failures)
                {
                    await stderr.WriteLineAsync($"portmismatch: {failure}").ConfigureAwait(false);
                }
            }

            if (hec is not null && !await HecOutput.ReportAsync(hec, options, stderr).ConfigureAwait(false))
            {
                return CommandLine.Failure;
            }

            return await LiveSummary.ExitCodeAsync(stderr, options, output, failures, counters).ConfigureAwait(false);
        }
        finally
        {
            ipfix?.Dispose();
            syslog?.Dispose();
            streams.ForEach(static stream => stream.Dispose());
            certificate?.Dispose();
        }
    }

    /// <summary>Loads --cert and --key (PEM); a pair that cannot be loaded fails the run with both paths named.</summary>
    private static X509Certificate2 LoadCertificate(string certificatePath, string keyPath)
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (!OperatingSystem.IsWindows())
            {
                return certificate;
            }

            // SChannel cannot use the ephemeral key of a PEM import: through PKCS#12 it gets one it can.
            using (certificate)
            {
                return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new IOException($"--cert {certificatePath} --key {keyPath}: cannot load the certificate and its key: {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>
    /// Reads <c>address:port</c> or <c>host:port</c> (<c>localhost:4739</c>, <c>[::1]:514</c>). A host name is resolved and
    /// its first IPv4 address is bound, or its first address when it has none: exporters and syslog senders told
    /// "localhost" send to 127.0.0.1 far more often than to ::1, and one socket per option keeps the counters per endpoint.
    /// </summary>
    internal static IPEndPoint ParseEndPoint(string option, string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal))
        {
            return endpoint;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || text.StartsWith('[') || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new UsageException($"{option} {text}: use an address or host name and a port, such as 0.0.0.0:4739, [::]:514 or localhost:4739.");
        }

        var host = text[..colon];
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new UsageException($"{option} {text}: cannot resolve '{host}': {e.Message}");
        }

        var address = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? (addresses.Length > 0 ? addresses[0] : throw new UsageException($"{option} {text}: '{host}' has no address."));
        return new IPEndPoint(address, port);
    }

    /// <summary>Creates a collector; a socket that cannot be bound fails the run with the option and endpoint named.</summary>
    private static T Bind<T>(string option, IPEndPoint endpoint, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (SocketException e)
        {
            var why = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "address already in use",
                SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                SocketError.AddressNotAvailable => "not an address of this machine",
                SocketError.AddressFamilyNotSupported => "this machine does not support that address family",
                _ => e.Message,
            };
            throw new IOException($"{option} {endpoint}: {why}", e);
        }
    }

    private static List<RunStatsInput> StatsInputs(IpfixUdpCollector? ipfix, PanOsSyslogUdpCollector? syslog, List<PanOsSyslogTcpCollector> streams, IReadOnlyList<SourceFailure> failures)
    {
        var inputs = new List<RunStatsInput>(2 + streams.Count);
        if (ipfix is not null)
        {
            inputs.Add(RunStatsInput.Create(ipfix.Name, "ipfix", failures.Any(f => f.SourceName == ipfix.Name), ipfix.Counters, ipfix.DatagramsReceived, ipfix.DatagramsDroppedBySocket));
        }

        if (syslog is not null)
        {
            inputs.Add(RunStatsInput.Create(syslog.Name, "panos", failures.Any(f => f.SourceName == syslog.Name), syslog.Counters, syslog.DatagramsReceived, syslog.DatagramsDroppedBySocket));
        }

        foreach (var stream in streams)
        {
            inputs.Add(RunStatsInput.CreateStream(stream.Name, "panos", failures.Any(f => f.SourceName == stream.Name), stream.Counters, new RunStatsConnections
            {
                Accepted = stream.ConnectionsAccepted,
                Refused = stream.ConnectionsRefused,
                TimedOut = stream.ConnectionsTimedOut,
                TlsHandshakesFailed = stream.IsTls ? stream.TlsHandshakesFailed : null,
            }, stream.BytesReceived));
        }

        return inputs;
    }

    /// <summary>Writes each row at once: a live run's rows must not wait in a buffer.</summary>
    private sealed class FlushingSink(RowWriter writer) : IMismatchRowSink
    {
        public void OnRow(MismatchRow row)
        {
            writer.OnRow(row);
            writer.Flush();
        }
    }
}
