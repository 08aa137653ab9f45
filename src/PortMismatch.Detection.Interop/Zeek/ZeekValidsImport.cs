using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PortMismatch.Detection.Interop;

/// <summary>
/// Reads the <c>ProtocolDetector::valids</c> table of Zeek's <c>policy/frameworks/analyzer/detect-protocols.zeek</c> (a
/// table of analyzer, responder address and port to the direction in which a protocol there is uninteresting) as written in
/// a site's scripts, and makes it an <see cref="AllowList"/>: each entry that suppresses Zeek's <c>Protocol_Found</c>
/// notice becomes an entry that drops the rows of that app (the analyzer's service name as conn.log writes it) on that port,
/// transport and responder (<c>0.0.0.0</c>: any).
/// </summary>
public static class ZeekValidsImport
{
    /// <summary>
    /// Reads <c>redef ProtocolDetector::valids += { [Analyzer::ANALYZER_HTTP, 0.0.0.0, 81/tcp] = ProtocolDetector::BOTH, ... };</c>
    /// statements (<c>=</c> replaces what came before, as in Zeek), with comments, <c>@load</c> lines and whitespace as
    /// Zeek allows them between tokens; addresses IPv4 or IPv6 in brackets; tags <c>Analyzer::ANALYZER_X</c> or
    /// <c>AllAnalyzers::ANALYZER_ANALYZER_X</c>; directions <c>NONE</c>, <c>INCOMING</c>, <c>OUTGOING</c>, <c>BOTH</c>, with or
    /// without <c>ProtocolDetector::</c>. <c>BOTH</c> always allows; <c>INCOMING</c> allows a responder in
    /// <paramref name="localNetworks"/> (Zeek's <c>Site::local_nets</c>) and <c>OUTGOING</c> one outside them, so both need
    /// the local networks; <c>NONE</c> allows nothing. An address's own entry takes precedence over the <c>0.0.0.0</c>
    /// entry of the same analyzer and port, as in Zeek's <c>report_protocols</c>. What an allow-list cannot say is left out
    /// and named in <see cref="ZeekValidsImportResult.LeftOut"/>.
    /// </summary>
    /// <param name="text">The script text.</param>
    /// <param name="sourceName">The file or source name, for errors and comments.</param>
    /// <param name="localNetworks">Zeek's <c>Site::local_nets</c>, or <see langword="null"/> when unknown.</param>
    /// <returns>The allow-list and what was left out.</returns>
    /// <exception cref="RuleImportException">The text is not such statements; the exception has the line and column.</exception>
    public static ZeekValidsImportResult Read(string text, string sourceName, IEnumerable<IPNetworkValue>? localNetworks = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        var local = localNetworks?.ToList();
        var entries = new ValidsReader(text, sourceName).Read();
        var allowed = new List<AllowListEntry>();
        var leftOut = new List<RuleExportOmission>();
        foreach (var entry in entries.Values)
        {
            Translate(entry, entries, local, sourceName, allowed, leftOut);
        }

        return new ZeekValidsImportResult(new AllowList(allowed), [.. leftOut]);
    }

    private static void Translate(Valid entry, Dictionary<(string, IPAddress, int, Transport), Valid> all, List<IPNetworkValue>? local, string sourceName, List<AllowListEntry> allowed, List<RuleExportOmission> leftOut)
    {
        var subject = $"{sourceName}:{entry.Line}: {entry.Text}";
        var wildcard = entry.Address.Equals(IPAddress.Any);
        var comment = $"Zeek ProtocolDetector::valids ({sourceName}:{entry.Line}): {entry.Text}";
        AllowListEntry Entry(IPNetworkValue? destination) => new(comment)
        {
            App = entry.App,
            DestinationPorts = PortSet.Of(entry.Port),
            DestinationNetwork = destination,
            Transport = entry.Transport,
        };

        var host = wildcard ? (IPNetworkValue?)null : Host(entry.Address);
        if (!wildcard && all.TryGetValue((entry.Tag, IPAddress.Any, entry.Port, entry.Transport), out var general)
            && Allows(general.Direction, entry.Address, local) != false && Allows(entry.Direction, entry.Address, local) != true)
        {
            leftOut.Add(new(subject, "the address's own entry takes the 0.0.0.0 entry back for it, and an allow-list cannot make an exception to an entry"));
            return;
        }

        switch (entry.Direction)
        {
            case "BOTH":
                allowed.Add(Entry(host));
                return;
            case "NONE":
                leftOut.Add(new(subject, "NONE reports the protocol there, which is what no allow-list entry already does"));
                return;
        }

        if (local is null)
        {
            leftOut.Add(new(subject, $"{entry.Direction} depends on Zeek's Site::local_nets; pass the local networks to import it"));
            return;
        }

        if (!wildcard)
        {
            if (Allows(entry.Direction, entry.Address, local) == true)
            {
                allowed.Add(Entry(host));
            }
            else
            {
                leftOut.Add(new(subject, $"{entry.Direction} never allows this address under the local networks given"));
            }

            return;
        }

        if (entry.Direction == "INCOMING")
        {
            foreach (var network in local)
            {
                allowed.Add(Entry(network));
            }

            return;
        }

        leftOut.Add(new(subject, "OUTGOING to any address allows responders outside the local networks, and an allow-list entry cannot say 'outside'"));
    }

    // Whether a direction allows a responder: true or false, or null when the local networks are unknown.
    private static bool? Allows(string direction, IPAddress responder, List<IPNetworkValue>? local) => direction switch
    {
        "BOTH" => true,
        "NONE" => false,
        _ when local is null => null,
        "INCOMING" => local.Any(n => n.Contains(IPAddressValue.Parse(responder.ToString()))),
        _ => !local.Any(n => n.Contains(IPAddressValue.Parse(responder.ToString()))),
    };

    private static IPNetworkValue Host(IPAddress address)
        => IPNetworkValue.Parse(string.Create(CultureInfo.InvariantCulture, $"{address}/{(address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)}"));

    private sealed record Valid(string Tag, string App, IPAddress Address, int Port, Transport Transport, string Direction, int Line, string Text);

    private sealed class ValidsReader(string text, string sourceName)
    {
        private int _at;
        private int _line = 1;
        private int _lineStart;

        public Dictionary<(string, IPAddress, int, Transport), Valid> Read()
        {
            var entries = new Dictionary<(string, IPAddress, int, Transport), Valid>();
            while (true)
            {
                SkipSpace();
                if (_at >= text.Length)
                {
                    return entries;
                }

                var (word, line, column) = Word();
                if (word != "redef")
                {
                    throw Error(line, column, $"found '{Quote(word)}'; only 'redef ProtocolDetector::valids' statements, comments and @load lines are read");
                }

                SkipSpace();
                (word, line, column) = Word();
                if (word != "ProtocolDetector::valids")
                {
                    throw Error(line, column, $"found 'redef {Quote(word)}'; only ProtocolDetector::valids is read");
                }

                SkipSpace();
                if (Take("+="))
                {
                }
                else if (Take("="))
                {
                    entries.Clear(); // '=' replaces the table
                }
                else
                {
                    throw Here("expected '+=' or '=' after ProtocolDetector::valids");
                }

                Expect('{');
                SkipSpace();
                while (!Take("}"))
                {
                    var entry = Entry();
                    entries[(entry.Tag, entry.Address, entry.Port, entry.Transport)] = entry;
                    SkipSpace();
                    if (Take(","))
                    {
                        SkipSpace();
                        continue;
                    }

                    SkipSpace();
                    if (!Take("}"))
                    {
                        throw Here("expected ',' or '}' after an entry");
                    }

                    break;
                }

                Expect(';');
            }
        }

        private Valid Entry()
        {
            var line = _line;
            var start = _at;
            Expect('[');
            SkipSpace();
            var (tag, tagLine, tagColumn) = Word();
            var app = tag.StartsWith("Analyzer::ANALYZER_", StringComparison.Ordinal) ? tag["Analyzer::ANALYZER_".Length..]
                : tag.StartsWith("AllAnalyzers::ANALYZER_ANALYZER_", StringComparison.Ordinal) ? tag["AllAnalyzers::ANALYZER_ANALYZER_".Length..]
                : null;
            if (string.IsNullOrEmpty(app) || !app.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw Error(tagLine, tagColumn, $"found '{Quote(tag)}'; expected a protocol analyzer tag such as Analyzer::ANALYZER_HTTP");
            }

            Expect(',');
            SkipSpace();
            var address = Address();
            Expect(',');
            SkipSpace();
            var (port, transport) = Port();
            Expect(']');
            Expect('=');
            SkipSpace();
            var (direction, dirLine, dirColumn) = Word();
            var name = direction.StartsWith("ProtocolDetector::", StringComparison.Ordinal) ? direction["ProtocolDetector::".Length..] : direction;
            if (name is not ("NONE" or "INCOMING" or "OUTGOING" or "BOTH"))
            {
                throw Error(dirLine, dirColumn, $"found '{Quote(direction)}'; expected ProtocolDetector::NONE, INCOMING, OUTGOING or BOTH");
            }

            var written = string.Join(' ', text[start.._at].Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
            return new Valid(tag, app.ToLowerInvariant(), address, port, transport, name, line, written);
        }

        private IPAddress Address()
        {
            var (line, column) = (_line, _at - _lineStart + 1);
            string literal;
            if (Take("["))
            {
                var close = text.IndexOf(']', _at);
                if (close < 0)
                {
                    throw Error(line, column, "an IPv6 address in '[' has no ']'");
                }

                literal = text[_at..close];
                _at = close + 1;
                if (!IPAddress.TryParse(literal, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6 || v6.ScopeId != 0 || literal.Contains('%', StringComparison.Ordinal))
                {
                    throw Error(line, column, $"'[{Quote(literal)}]' is no IPv6 address");
                }

                return v6;
            }

            var start = _at;
            while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] == '.'))
            {
                _at++;
            }

            literal = text[start.._at];
            return literal.Count(c => c == '.') == 3 && IPAddress.TryParse(literal, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork
                ? v4
                : throw Error(line, column, $"found '{Quote(literal.Length > 0 ? literal : Rest())}'; expected an address such as 0.0.0.0, 192.0.2.1 or [2001:db8::1]");
        }

        private (int Port, Transport Transport) Port()
        {
            var (line, column) = (_line, _at - _lineStart + 1);
            var start = _at;
            while (_at < text.Length && char.IsAsciiDigit(text[_at]))
            {
                _at++;
            }

            var digits = text[start.._at];
            if (digits.Length == 0 || !Take("/"))
            {
                throw Error(line, column, $"found '{Quote(digits.Length > 0 ? digits : Rest())}'; expected a port such as 81/tcp");
            }

            var protoStart = _at;
            while (_at < text.Length && char.IsAsciiLetter(text[_at]))
            {
                _at++;
            }

            var proto = text[protoStart.._at];
            var transport = proto switch
            {
                "tcp" => Transport.Tcp,
                "udp" => Transport.Udp,
                "icmp" => Transport.Other,
                "unknown" => Transport.Unknown,
                _ => throw Error(line, column, $"the port '{Quote(digits)}/{Quote(proto)}' has no transport tcp, udp, icmp or unknown"),
            };
            return digits.Length <= 5 && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
                ? (port, transport)
                : throw Error(line, column, $"the port {Quote(digits)} is above 65535");
        }

        private (string Word, int Line, int Column) Word()
        {
            var (line, column) = (_line, _at - _lineStart + 1);
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_' || (text[_at] == ':' && _at + 1 < text.Length && text[_at + 1] == ':')))
            {
                _at += text[_at] == ':' ? 2 : 1;
            }

            return (start == _at ? Rest() : text[start.._at], line, column);
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (_at >= text.Length || text[_at] != c)
            {
                throw Here($"expected '{c}'");
            }

            _at++;
        }

        private bool Take(string token)
        {
            if (string.CompareOrdinal(text, _at, token, 0, token.Length) == 0)
            {
                _at += token.Length;
                return true;
            }

            return false;
        }

        // Zeek's scanner: blanks, line feeds, '#' comments to the end of the line; @load lines are skipped too.
        private void SkipSpace()
        {
            while (_at < text.Length)
            {
                var c = text[_at];
                if (c == '\n')
                {
                    _at++;
                    _line++;
                    _lineStart = _at;
                }
                else if (c is ' ' or '\t' or '\r' or '\f')
                {
                    _at++;
                }
                else if (c == '#' || (c == '@' && _at == _lineStart + CountBlanks() && IsLoad()))
                {
                    while (_at < text.Length && text[_at] != '\n')
                    {
                        _at++;
                    }
                }
                else
                {
                    return;
                }
            }
        }

        private int CountBlanks()
        {
            var n = 0;
            while (_lineStart + n < text.Length && text[_lineStart + n] is ' ' or '\t')
            {
                n++;
            }

            return n;
        }

        private bool IsLoad() => string.CompareOrdinal(text, _at, "@load ", 0, 6) == 0 || string.CompareOrdinal(text, _at, "@load\t", 0, 6) == 0;

        private string Rest()
        {
            var end = _at;
            while (end < text.Length && end - _at < 20 && !char.IsWhiteSpace(text[end]))
            {
                end++;
            }

            return end == _at ? (_at >= text.Length ? "end of input" : text[_at].ToString()) : text[_at..end];
        }

        private RuleImportException Here(string reason)
            => Error(_line, _at - _lineStart + 1, $"{reason}, found '{Quote(Rest())}'");

        private RuleImportException Error(int line, int column, string reason) => new(sourceName, line, column, reason);

        // Raw input in messages is escaped and cut.
        private static string Quote(string value)
        {
            var cut = value.Length > 40 ? value[..40] + "..." : value;
            var chars = new System.Text.StringBuilder(cut.Length);
            foreach (var c in cut)
            {
                chars.Append(char.IsControl(c) ? '?' : c);
            }

            return chars.ToString();
        }
    }
}

/// <summary>What <see cref="ZeekValidsImport.Read"/> made of a <c>ProtocolDetector::valids</c> table.</summary>
public sealed class ZeekValidsImportResult
{
    internal ZeekValidsImportResult(AllowList allowList, ImmutableArray<RuleExportOmission> leftOut)
    {
        AllowList = allowList;
        LeftOut = leftOut;
    }

    /// <summary>Gets the allow-list: one entry per table entry that allows (per local network for <c>INCOMING</c> to any address).</summary>
    public AllowList AllowList { get; }

    /// <summary>Gets the table entries an allow-list cannot express, each with its file, line and why.</summary>
    public ImmutableArray<RuleExportOmission> LeftOut { get; }
}
