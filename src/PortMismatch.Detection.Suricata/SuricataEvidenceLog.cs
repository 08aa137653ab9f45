using System.Buffers;
using System.Text.Json;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Suricata;

/// <summary>
/// Reads Suricata EVE JSON (plain or gzip) into an <see cref="EvidenceJoin"/>, joining by <c>flow_id</c>: <c>tls</c>
/// events (<c>tls.server_name</c> from <c>sni</c>, <c>tls.version</c>, <c>tls.ja3</c> from <c>ja3.hash</c>,
/// <c>tls.ja4</c>), <c>http</c> (<c>http.host</c> from <c>hostname</c>, <c>http.method</c>, <c>http.uri</c> from
/// <c>url</c>, <c>http.user_agent</c>, <c>http.status_code</c>), <c>dns</c> (<c>dns.query</c>: <c>rrname</c> of a
/// query, or of each of <c>queries</c> in the version 3 format) and <c>ssh</c> (<c>ssh.client</c>, <c>ssh.server</c> as
/// <c>SSH-&lt;proto_version&gt;-&lt;software_version&gt;</c>). The same file the flows came from is read again after them, so
/// events that precede their flow event (as Suricata logs them) join as well as those that follow it, and memory is the
/// join's (the flows it remembers), not the file's.
/// </summary>
public static class SuricataEvidenceLog
{
    /// <summary>The longest line read; a longer one is rejected.</summary>
    public const int MaxLineLength = 1 << 20;

    private static readonly JsonReaderOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 };

    /// <summary>Reads one EVE input (plain or gzip) and offers the values of its tls, http, dns and ssh events to <paramref name="join"/>.</summary>
    /// <param name="input">The EVE JSON.</param>
    /// <param name="inputName">Its name, for the counts.</param>
    /// <param name="join">The join.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>What was read: read = joined + unmatched + rejected + skipped.</returns>
    /// <exception cref="CompressedInputException">The input is gzip and broken.</exception>
    public static async Task<SuricataEvidenceCounts> ReadAsync(Stream input, string inputName, EvidenceJoin join, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(inputName);
        ArgumentNullException.ThrowIfNull(join);
        var stream = await CompressedInput.OpenAsync(input, CompressedInput.Error(inputName), cancellationToken).ConfigureAwait(false);
        var reader = new EventReader(join);
        try
        {
            await LineSplitter.ReadAsync(stream, MaxLineLength, reader.Line, reader.RejectTooLong, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!ReferenceEquals(stream, input))
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }

        return new SuricataEvidenceCounts
        {
            InputName = inputName,
            Read = reader.Read,
            Joined = reader.Joined,
            Unmatched = reader.Unmatched,
            Rejected = reader.Rejected,
            Skipped = reader.Skipped,
        };
    }

    private sealed class EventReader(EvidenceJoin join)
    {
        private readonly ArrayBufferWriter<byte> _value = new(256);
        private readonly ArrayBufferWriter<byte> _flowId = new(32);

        public long Read { get; private set; }

        public long Joined { get; private set; }

        public long Unmatched { get; private set; }

        public long Rejected { get; private set; }

        public long Skipped { get; private set; }

        public void RejectTooLong()
        {
            Read++;
            Rejected++;
        }

        public void Line(ReadOnlySpan<byte> line)
        {
            line = line.TrimEnd((byte)'\r');
            if (line.IsEmpty)
            {
                return;
            }

            Read++;
            try
            {
                // First pass: the event type and flow id (objects skipped); only a tracked flow's event is read again.
                var json = new Utf8JsonReader(line, JsonOptions);
                if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
                {
                    Rejected++;
                    return;
                }

                string? type = null;
                _flowId.ResetWrittenCount();
                while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = json.ValueTextEquals("event_type"u8);
                    var isFlow = json.ValueTextEquals("flow_id"u8);
                    json.Read();
                    if (isType && json.TokenType == JsonTokenType.String)
                    {
                        type = json.ValueTextEquals("tls"u8) ? "tls" : json.ValueTextEquals("http"u8) ? "http" : json.ValueTextEquals("dns"u8) ? "dns" : json.ValueTextEquals("ssh"u8) ? "ssh" : string.Empty;
                    }
                    else if (isFlow && json.TokenType == JsonTokenType.Number)
                    {
                        _flowId.Write(json.ValueSpan);
                    }

                    json.Skip();
                }

                if (string.IsNullOrEmpty(type) || _flowId.WrittenCount == 0)
                {
                    Skipped++; // a flow, netflow, alert, stats... event, or one without a flow id
                    return;
                }

                if (!join.IsTracked(_flowId.WrittenSpan))
                {
                    Unmatched++;
                    return;
                }

                json = new Utf8JsonReader(line, JsonOptions);
                json.Read();
                while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
                {
                    var isEvent = json.ValueTextEquals(type);
                    json.Read();
                    if (isEvent && json.TokenType == JsonTokenType.StartObject)
                    {
                        Event(ref json, type);
                    }
                    else
                    {
                        json.Skip();
                    }
                }

                Joined++;
            }
            catch (JsonException)
            {
                Rejected++;
            }
        }

        /// <summary>Reads the event's object (the reader on its start) and offers its fields.</summary>
        private void Event(ref Utf8JsonReader json, string type)
        {
            string? proto = null;
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var field = type switch
                {
                    "tls" => json.ValueTextEquals("sni"u8) ? "tls.server_name" : json.ValueTextEquals("version"u8) ? "tls.version" : json.ValueTextEquals("ja4"u8) ? "tls.ja4" : json.ValueTextEquals("ja3"u8) ? "tls.ja3" : null,
                    "http" => json.ValueTextEquals("hostname"u8) ? "http.host" : json.ValueTextEquals("http_method"u8) ? "http.method" : json.ValueTextEquals("url"u8) ? "http.uri" : json.ValueTextEquals("http_user_agent"u8) ? "http.user_agent" : json.ValueTextEquals("status"u8) ? "http.status_code" : null,
                    "dns" => json.ValueTextEquals("rrname"u8) ? "dns.query" : json.ValueTextEquals("queries"u8) ? "queries" : json.ValueTextEquals("type"u8) ? "type" : null,
                    _ => json.ValueTextEquals("client"u8) ? "ssh.client" : json.ValueTextEquals("server"u8) ? "ssh.server" : null,
                };
                json.Read();
                switch (field)
                {
                    case "tls.ja3" when json.TokenType == JsonTokenType.StartObject:
                        Nested(ref json, "hash"u8, field);
                        break;
                    case "ssh.client" or "ssh.server" when json.TokenType == JsonTokenType.StartObject:
                        Software(ref json, field);
                        break;
                    case "queries" when json.TokenType == JsonTokenType.StartArray:
                        while (json.Read() && json.TokenType == JsonTokenType.StartObject)
                        {
                            Nested(ref json, "rrname"u8, "dns.query");
                        }

                        break;
                    case "type":
                        proto = json.TokenType == JsonTokenType.String && json.ValueTextEquals("answer"u8) ? "answer" : proto;
                        json.Skip();
                        break;
                    case "dns.query" when proto == "answer":
                        json.Skip(); // an answer's rrname: the query is logged with type query
                        break;
                    case not null when json.TokenType is JsonTokenType.String or JsonTokenType.Number:
                        Offer(ref json, field);
                        break;
                    default:
                        json.Skip();
                        break;
                }
            }
        }

        /// <summary>Offers the string <paramref name="name"/> of an object (the reader on its start) as <paramref name="field"/>.</summary>
        private void Nested(ref Utf8JsonReader json, ReadOnlySpan<byte> name, string field)
        {
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var wanted = json.ValueTextEquals(name);
                json.Read();
                if (wanted && json.TokenType == JsonTokenType.String)
                {
                    Offer(ref json, field);
                }
                else
                {
                    json.Skip();
                }
            }
        }

        /// <summary>An ssh side's <c>proto_version</c> and <c>software_version</c> as the banner <c>SSH-2.0-OpenSSH_9.6</c>.</summary>
        private void Software(ref Utf8JsonReader json, string field)
        {
            string? proto = null, software = null;
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var isProto = json.ValueTextEquals("proto_version"u8);
                var isSoftware = json.ValueTextEquals("software_version"u8);
                json.Read();
                if (json.TokenType == JsonTokenType.String && (isProto || isSoftware))
                {
                    var text = json.GetString();
                    proto = isProto ? text : proto;
                    software = isSoftware ? text : software;
                }
                else
                {
                    json.Skip();
                }
            }

            if (proto is not null || software is not null)
            {
                join.Add(_flowId.WrittenSpan, field, System.Text.Encoding.UTF8.GetBytes($"SSH-{proto}-{software}"));
            }
        }

        private void Offer(ref Utf8JsonReader json, string field)
        {
            if (json.TokenType == JsonTokenType.Number || !json.ValueIsEscaped)
            {
                join.Add(_flowId.WrittenSpan, field, json.ValueSpan);
                return;
            }

            _value.ResetWrittenCount();
            var span = _value.GetSpan(json.ValueSpan.Length);
            var written = json.CopyString(span);
            join.Add(_flowId.WrittenSpan, field, span[..written]);
        }
    }
}
