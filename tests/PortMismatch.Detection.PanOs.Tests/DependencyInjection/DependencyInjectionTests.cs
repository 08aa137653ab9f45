using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PortMismatch.Detection.PanOs.Tests.DependencyInjection;

public sealed class DependencyInjectionTests
{
    [Fact]
    public void AddPanOs_validates_its_endpoint_and_time_zone_at_startup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddPanOs(o =>
        {
            o.ListenEndPoint = "localhost";
            o.TimeZone = "Mars/Olympus_Mons";
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("PanOsSourceOptions.ListenEndPoint 'localhost'", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("PanOsSourceOptions.TimeZone 'Mars/Olympus_Mons'", StringComparison.Ordinal));
    }

    [Fact]
    public void AddPanOs_twice_registers_one_source_that_listens()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddPanOs(o => o.ListenEndPoint = "127.0.0.1:0").AddPanOs();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var source = Assert.Single(provider.GetServices<IFlowSource>());
        Assert.StartsWith("syslog-udp://127.0.0.1:", source.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPanOs_refuses_a_negative_clock_skew()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddPanOs(o =>
        {
            o.ListenEndPoint = "127.0.0.1:0";
            o.MaxClockSkew = TimeSpan.FromMinutes(-1);
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("PanOsSourceOptions.MaxClockSkew is -00:01:00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddPanOs_passes_every_reader_option_on_to_what_it_reads()
    {
        var path = Path.Combine(Path.GetTempPath(), $"panos-di-{Guid.NewGuid():N}.log");
        var nat = new TrafficLine().Set(6, "2024/06/01 12:00:00").Set(10, "198.51.100.7").Set(27, "8443").With(subtype: "end");
        var start = new TrafficLine().With(subtype: "start");
        var tooLong = new TrafficLine().With(app: new string('x', 1200));
        await File.WriteAllTextAsync(path, $"{nat}\n{start}\n{tooLong}\n", TestContext.Current.CancellationToken);
        try
        {
            var services = new ServiceCollection();
            services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
            services.AddPortMismatchDetection().AddPanOs(o =>
            {
                o.Files.Add(path);
                o.TimeZone = "Europe/Berlin";
                o.Subtypes = PanOsSubtypes.End;
                o.UseNatDestination = true;
                o.MaxLineLength = 1024;
                o.MaxClockSkew = TimeSpan.FromMinutes(1);
            });
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();
            var source = Assert.Single(provider.GetServices<IFlowSource>());
            var sink = new CollectingSink();

            await source.ReadAsync(sink, TestContext.Current.CancellationToken);

            var record = Assert.Single(sink.Records);
            Assert.Equal(("198.51.100.7", 8443), (record.Destination, record.DestinationPort));
            Assert.Equal(new DateTimeOffset(2024, 6, 1, 10, 0, 0, TimeSpan.Zero), FlowTime.ToDateTimeOffset(record.Time)); // 12:00 in Berlin (CEST)
            Assert.Equal(1, source.Counters.SkippedByReason["subtype-not-selected"]);
            Assert.Equal(1, source.Counters.RejectedByReason["line-too-long"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddPanOs_refuses_a_MaxLineLength_the_reader_would_refuse()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
        services.AddPortMismatchDetection().AddPanOs(o =>
        {
            o.ListenEndPoint = "127.0.0.1:0";
            o.MaxLineLength = 10;
        });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("PanOsSourceOptions.MaxLineLength is 10", StringComparison.Ordinal));
    }

    [Fact]
    public void The_source_options_have_every_reader_option_under_the_same_name()
    {
        var reader = typeof(PanOsReaderOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name);
        var source = typeof(PanOsSourceOptions).GetProperties().Select(p => p.Name).ToHashSet();
        Assert.All(reader, name => Assert.Contains(name, source));
    }

    [Fact]
    public async Task AddPanOs_runs_its_udp_tcp_and_tls_collectors_at_once()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var folder = Directory.CreateTempSubdirectory("panos-di-tls-");
        try
        {
            using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            {
                var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "syslog.crt"), certificate.ExportCertificatePem(), cancellationToken);
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, "syslog.key"), key.ExportPkcs8PrivateKeyPem(), cancellationToken);
            }

            var services = new ServiceCollection();
            services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
            services.AddPortMismatchDetection().AddPanOs(o =>
            {
                o.ListenEndPoint = "127.0.0.1:0";
                o.TcpListenEndPoint = "127.0.0.1:0";
                o.TlsListenEndPoint = "127.0.0.1:0";
                o.TlsCertificatePath = Path.Combine(folder.FullName, "syslog.crt");
                o.TlsKeyPath = Path.Combine(folder.FullName, "syslog.key");
            });
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();
            var source = Assert.Single(provider.GetServices<IFlowSource>());
            var names = source.Name.Split(" and ");
            Assert.Equal(3, names.Length);
            Assert.StartsWith("syslog-udp://127.0.0.1:", names[0], StringComparison.Ordinal);
            Assert.StartsWith("syslog-tcp://127.0.0.1:", names[1], StringComparison.Ordinal);
            Assert.StartsWith("syslog-tls://127.0.0.1:", names[2], StringComparison.Ordinal);

            var sink = new CollectingSink();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var running = source.ReadAsync(sink, stop.Token);
            var line = System.Text.Encoding.UTF8.GetBytes($"<14>Nov 26 10:00:00 fw1 {new TrafficLine()}\n");
            using (var udp = new System.Net.Sockets.UdpClient())
            {
                await udp.SendAsync(line, System.Net.IPEndPoint.Parse(names[0]["syslog-udp://".Length..]), cancellationToken);
            }

            using (var tcp = new System.Net.Sockets.TcpClient())
            {
                await tcp.ConnectAsync(System.Net.IPEndPoint.Parse(names[1]["syslog-tcp://".Length..]), cancellationToken);
                await tcp.GetStream().WriteAsync(line, cancellationToken);
            }

            using (var tcp = new System.Net.Sockets.TcpClient())
            {
                await tcp.ConnectAsync(System.Net.IPEndPoint.Parse(names[2]["syslog-tls://".Length..]), cancellationToken);
                await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
                await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken);
                await tls.WriteAsync(line, cancellationToken);
            }

            await Poll.UntilAsync(() => source.Counters.Accepted == 3, () => $"{source.Counters}", TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal(3, sink.Records.Count);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddPanOs_refuses_tls_without_a_certificate_and_a_certificate_without_tls()
    {
        foreach (var (configure, expected) in new (Action<PanOsSourceOptions>, string)[]
        {
            (o => o.TlsListenEndPoint = "127.0.0.1:0", "PanOsSourceOptions.TlsListenEndPoint needs TlsCertificatePath and TlsKeyPath"),
            (o => { o.TcpListenEndPoint = "127.0.0.1:0"; o.TlsCertificatePath = "a.pem"; }, "PanOsSourceOptions.TlsCertificatePath and TlsKeyPath are for TlsListenEndPoint"),
            (o => { o.TcpListenEndPoint = "127.0.0.1:0"; o.MaxConnections = 0; }, "PanOsSourceOptions.MaxConnections is 0"),
            (o => { o.TlsListenEndPoint = "127.0.0.1:0"; o.TlsCertificatePath = "/nonexistent/a.pem"; o.TlsKeyPath = "/nonexistent/a.key"; }, "PanOsSourceOptions.TlsCertificatePath '/nonexistent/a.pem' and TlsKeyPath '/nonexistent/a.key': cannot load"),
        })
        {
            var services = new ServiceCollection();
            services.AddSingleton<IMismatchRowSink>(new JsonLinesRowWriter(Stream.Null)); // the detection needs a sink to start
            services.AddPortMismatchDetection().AddPanOs(configure);
            using var provider = services.BuildServiceProvider();
            var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
            Assert.Contains(e.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
        }
    }
}
