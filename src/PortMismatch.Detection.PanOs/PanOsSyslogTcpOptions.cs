using System.Security.Cryptography.X509Certificates;

namespace PortMismatch.Detection.PanOs;

/// <summary>
/// The connection options of a <see cref="PanOsSyslogTcpCollector"/>: TLS, the connection cap and the idle timeout. The
/// cap on one frame is the reader's <see cref="PanOsReaderOptions.MaxLineLength"/>.
/// </summary>
public sealed record PanOsSyslogTcpOptions
{
    /// <summary>The default cap on open connections.</summary>
    public const int DefaultMaxConnections = 256;

    /// <summary>Gets the defaults: plain TCP, 256 connections, 5 minutes idle.</summary>
    public static PanOsSyslogTcpOptions Default { get; } = new();

    /// <summary>
    /// Gets the server certificate, with its private key, for syslog over TLS (RFC 5425), or <see langword="null"/> for
    /// plain TCP (RFC 6587). Load a PEM pair with <see cref="X509Certificate2.CreateFromPemFile(string, string?)"/>.
    /// Clients are not asked for a certificate.
    /// </summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Gets how many connections may be open at once (default 256, at least 1). A connection past the cap is accepted and
    /// closed at once, counted in <see cref="PanOsSyslogTcpCollector.ConnectionsRefused"/> and reported
    /// (<c>too-many-connections</c>).
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// Gets how long a connection may send nothing before it is closed (default 5 minutes; also the limit on a TLS
    /// handshake). Counted in <see cref="PanOsSyslogTcpCollector.ConnectionsTimedOut"/> and reported (<c>idle-timeout</c>).
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
