using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace PortMismatch.Cli.Tests;

/// <summary><c>listen --syslog-tcp</c> and <c>--syslog-tls</c> on loopback: the rows of a scan, the summary and --stats, and the usage errors.</summary>
public sealed class ListenTcpTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("portmismatch-listen-tcp-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task The_sample_log_over_tcp_and_over_tls_gives_the_rows_of_a_scan_and_the_summary_counts_the_connections()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var panosFile = Repository.PathOf("samples", "data", "panos-traffic.log");
        var scanOut = Path.Combine(_temp, "scan.jsonl");
        var (scanExit, _, scanErr) = await CliProcess.RunInProcess(cancellationToken, "scan", panosFile, "--window", "1h", "--output", "jsonl", "--out", scanOut, "--quiet");
        Assert.True(scanExit == 0, scanErr);

        var (cert, key, certificate) = WritePemPair();
        using var ownCertificate = certificate;
        var listenOut = Path.Combine(_temp, "listen.jsonl");
        var stats = Path.Combine(_temp, "run.json");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stderr = new StringWriter();
        var listening = CommandLine.RunAsync(
            ["listen", "--syslog-tcp", "127.0.0.1:0", "--syslog-tls", "127.0.0.1:0", "--cert", cert, "--key", key, "--window", "1h", "--output", "jsonl", "--out", listenOut, "--stats", stats],
            new StringWriter(),
            stderr,
            stop.Token);
        await LiveTestSupport.WaitUntilListening(stderr);
        // Port 0: the system picks the ports, and the banner names them.
        var banner = System.Text.RegularExpressions.Regex.Match(stderr.ToString(), @"listening on syslog-tcp://127\.0\.0\.1:([0-9]+) and syslog-tls://127\.0\.0\.1:([0-9]+);");
        Assert.True(banner.Success, stderr.ToString());
        var tcpPort = int.Parse(banner.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var tlsPort = int.Parse(banner.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);

        // Half the lines LF-framed over TCP, the other half octet-counted over TLS. Each sender ends its side and waits for
        // the listener to close its own, which it does once it has decoded everything sent.
        var lines = (await File.ReadAllLinesAsync(panosFile, cancellationToken)).Where(l => l.Length > 0).ToList();
        var half = lines.Count / 2;
        var lfBytes = Encoding.UTF8.GetBytes(string.Concat(lines.Take(half).Select(l => l + "\n")));
        var octetBytes = Encoding.UTF8.GetBytes(string.Concat(lines.Skip(half).Select(l => $"{Encoding.UTF8.GetByteCount(l)} {l}")));
        using (var tcp = new TcpClient(AddressFamily.InterNetwork))
        {
            await tcp.ConnectAsync(IPAddress.Loopback, tcpPort, cancellationToken);
            var stream = tcp.GetStream();
            await stream.WriteAsync(lfBytes, cancellationToken);
            tcp.Client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await stream.ReadAsync(new byte[1], cancellationToken).AsTask().WaitAsync(CliProcess.Patience, cancellationToken));
        }

        using (var tcp = new TcpClient(AddressFamily.InterNetwork))
        {
            await tcp.ConnectAsync(IPAddress.Loopback, tlsPort, cancellationToken);
            await using var tls = new SslStream(tcp.GetStream(), false, (_, remote, _, _) => remote?.GetCertHashString(HashAlgorithmName.SHA256) == certificate.GetCertHashString(HashAlgorithmName.SHA256));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken);
            await tls.WriteAsync(octetBytes, cancellationToken);
            await tls.ShutdownAsync();
            tcp.Client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await tls.ReadAsync(new byte[1], cancellationToken).AsTask().WaitAsync(CliProcess.Patience, cancellationToken));
        }

        // A plain-text sender on the TLS port.
        using (var plain = new TcpClient(AddressFamily.InterNetwork))
        {
            await plain.ConnectAsync(IPAddress.Loopback, tlsPort, cancellationToken);
            await plain.GetStream().WriteAsync(lfBytes.AsMemory(0, 200), cancellationToken);
            await Poll.UntilAsync(() => stderr.ToString().Contains("tls-handshake-failed", StringComparison.Ordinal), () => $"no handshake failure on standard error:\n{stderr}");
        }

        await stop.CancelAsync();
        Assert.Equal(0, await listening);

        Assert.NotEmpty(File.ReadAllLines(scanOut));
        Assert.Equal(LiveTestSupport.Combine(File.ReadAllLines(scanOut)), LiveTestSupport.Combine(File.ReadAllLines(listenOut)));
        var text = stderr.ToString();
        Assert.Contains($"  syslog-tcp://127.0.0.1:{tcpPort}: 1 connections (0 refused at the limit of 256, 0 idle), {half:N0} frames, {lfBytes.Length:N0} bytes", text, StringComparison.Ordinal);
        Assert.Contains($"  syslog-tls://127.0.0.1:{tlsPort}: 2 connections (0 refused at the limit of 256, 0 idle, 1 TLS handshakes failed), {lines.Count - half:N0} frames, {octetBytes.Length:N0} bytes", text, StringComparison.Ordinal);
        Assert.Matches($@"syslog-tls://127\.0\.0\.1:{tlsPort} \(from 127\.0\.0\.1:[0-9]+\): rejected \(tls-handshake-failed\): ", text);

        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        var inputs = json.RootElement.GetProperty("inputs").EnumerateArray().ToList();
        Assert.Equal(2, inputs.Count);
        Assert.Equal($"syslog-tcp://127.0.0.1:{tcpPort}", inputs[0].GetProperty("name").GetString());
        Assert.Equal(1, inputs[0].GetProperty("connections").GetProperty("accepted").GetInt64());
        Assert.False(inputs[0].GetProperty("connections").TryGetProperty("tls_handshakes_failed", out _));
        Assert.Equal(lfBytes.Length, inputs[0].GetProperty("bytes_received").GetInt64());
        Assert.Equal(half, inputs[0].GetProperty("read").GetInt64());
        Assert.Equal(1, inputs[1].GetProperty("connections").GetProperty("tls_handshakes_failed").GetInt64());
        Assert.Equal(octetBytes.Length, inputs[1].GetProperty("bytes_received").GetInt64());
        Assert.Equal(lines.Count, json.RootElement.GetProperty("total").GetProperty("read").GetInt64());
    }

    [Theory]
    [InlineData("--cert does nothing without --syslog-tls: it is the TLS listener's certificate.", "--syslog-tcp", "127.0.0.1:0", "--cert", "{cert}")]
    [InlineData("--key does nothing without --syslog-tls: it is the TLS listener's certificate.", "--syslog-udp", "127.0.0.1:0", "--key", "{key}")]
    [InlineData("--syslog-tls needs --cert <pem>: the server certificate and its private key, PEM files.", "--syslog-tls", "127.0.0.1:0", "--key", "{key}")]
    [InlineData("--syslog-tls needs --key <pem>: the server certificate and its private key, PEM files.", "--syslog-tls", "127.0.0.1:0", "--cert", "{cert}")]
    [InlineData("--cert {temp}/missing.crt: no such file.", "--syslog-tls", "127.0.0.1:0", "--cert", "{temp}/missing.crt", "--key", "{key}")]
    [InlineData("--input-time-zone is for PAN-OS times: it does nothing without --syslog-udp, --syslog-tcp or --syslog-tls.", "--ipfix", "127.0.0.1:0", "--input-time-zone", "UTC")]
    public async Task Tls_options_without_their_partner_are_usage_errors(string expected, params string[] options)
    {
        var (cert, key, certificate) = WritePemPair();
        certificate.Dispose();
        string Fill(string text) => text.Replace("{cert}", cert, StringComparison.Ordinal).Replace("{key}", key, StringComparison.Ordinal).Replace("{temp}", _temp, StringComparison.Ordinal);
        var (exit, output, err) = await CliProcess.RunInProcess(["listen", .. options.Select(Fill), "--window", "5m"]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal($"portmismatch: {Fill(expected)}", err.ReplaceLineEndings("\n").Split('\n')[0]);
    }

    [Fact]
    public async Task A_key_that_is_not_the_certificates_fails_with_both_paths_named()
    {
        var (cert, _, certificate) = WritePemPair();
        certificate.Dispose();
        var otherKey = Path.Combine(_temp, "other.key");
        using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(otherKey, other.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        }

        var (exit, output, err) = await CliProcess.RunInProcess("listen", "--syslog-tls", "127.0.0.1:0", "--cert", cert, "--key", otherKey, "--window", "5m");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        var lines = err.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.StartsWith($"portmismatch: --cert {cert} --key {otherKey}: cannot load the certificate and its key: ", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    /// <summary>A self-signed certificate for localhost and its key, written as PEM files; the certificate itself to check the server's against.</summary>
    private (string Cert, string Key, X509Certificate2 Certificate) WritePemPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certPath = Path.Combine(_temp, "syslog.crt");
        var keyPath = Path.Combine(_temp, "syslog.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, certificate);
    }
}
