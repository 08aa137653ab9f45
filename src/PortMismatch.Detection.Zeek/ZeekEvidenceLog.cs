using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using PortMismatch.Detection.Internal;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek;

/// <summary>
/// Reads Zeek's companion logs (TSV or JSON, plain or gzip) into an <see cref="EvidenceJoin"/>, field by name, joining by
/// <c>uid</c>: <c>ssl.log</c> (<c>tls.server_name</c>, <c>tls.version</c>, <c>tls.ja3</c>, <c>tls.ja4</c>),
/// <c>http.log</c> (<c>http.host</c>, <c>http.method</c>, <c>http.uri</c>, <c>http.user_agent</c>, <c>http.status_code</c>),
/// <c>ssh.log</c> (<c>ssh.client</c>, <c>ssh.server</c>), <c>dns.log</c> (<c>dns.query</c>), and <c>dpd.log</c> /
/// <c>analyzer.log</c> (<c>analyzer.failure</c>: the analyzer and why it gave up). TSV values are kept as Zeek printed
/// them (its <c>\xHH</c> escapes stay); JSON values are unescaped and then escaped the same way.
/// </summary>
public static class ZeekEvidenceLog
{
    /// <summary>The longest line read; a longer one is rejected.</summary>
    public const int MaxLineLength = 1 << 20;

    private static readonly JsonReaderOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 };

    /// <summary>Gets the paths of the logs that give evidence, in the order <see cref="FindCompanions"/> lists them.</summary>
    public static IReadOnlyList<string> Paths { get; } = ["ssl", "http", "ssh", "dns", "dpd", "analyzer"];

    /// <summary>
    /// Finds the companion logs of a conn.log: files in the same directory with the same rotation suffix and another
    /// evidence path, plain or gzip (<c>conn.log</c>: <c>ssl.log</c>, <c>ssl.log.gz</c>, ...;
    /// <c>conn.2026-11-26-13-00-00.log.gz</c>: <c>ssl.2026-11-26-13-00-00.log.gz</c> or <c>.log</c>, ...). Empty when the
    /// file's name does not start with <c>conn.</c>.
    /// </summary>
    /// <param name="connLogPath">The conn.log's path.</param>
    /// <returns>The paths of the companions that exist, at most one per log.</returns>
    public static IReadOnlyList<string> FindCompanions(string connLogPath)
    {
        ArgumentNullException.ThrowIfNull(connLogPath);
        var name = System.IO.Path.GetFileName(connLogPath);
        if (!name.StartsWith("conn.", StringComparison.Ordinal))
        {
            return [];
        }

        var directory = System.IO.Path.GetDirectoryName(connLogPath) ?? string.Empty;
        var suffix = name["conn".Length..];
        var plain = suffix.EndsWith(".gz", StringComparison.Ordinal) ? suffix[..^3] : suffix;
        var found = new List<string>();
        foreach (var path in Paths)
        {
            foreach (var candidate in new[] { path + suffix, path + plain, path + plain + ".gz" })
            {
                var full = System.IO.Path.Combine(directory, candidate);
                if (File.Exists(full))
                {
                    found.Add(full);
                    break;
                }
            }
        }

        return found;
    }

    /// <summary>Reads one companion log (plain or gzip) and offers its values to <paramref name="join"/>.</summary>
    /// <param name="input">The log.</param>
    /// <param name="inputName">Its name (a file name such as <c>ssl.log</c> names the log's path when no header or <c>_path</c> does).</param>
    /// <param name="join">The join.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>What was read.</returns>
    /// <exception cref="CompressedInputException">The input is gzip and broken.</exception>
    public static async Task<ZeekEvidenceCounts> ReadAsync(Stream input, string inputName, EvidenceJoin join, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(inputName);
        ArgumentNullException.ThrowIfNull(join);
        var stream = await CompressedInput.OpenAsync(input, CompressedInput.Error(inputName), cancellationToken).ConfigureAwait(false);
        var reader = new LogReader(join, PathOfName(inputName));
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

        return reader.Counts(inputName);
    }

    /// <summary>The log path a file name suggests: its name up to the first dot (<c>ssl.log</c>, <c>ssl.2026-...log.gz</c>).</summary>
    private static string? PathOfName(string inputName)
    {
        var name = System.IO.Path.GetFileName(inputName);
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var path = dot < 0 ? name : name[..dot];
        return Known(path);
    }

    private static string? Known(string path)
    {
        foreach (var known in Paths)
        {
            if (string.Equals(known, path, StringComparison.Ordinal))
            {
                return known;
            }
        }

        return null;
    }

    /// <summary>The evidence field a column of a log gives, or null. The analyzer and its reason are joined (<see cref="Failure"/>).</summary>
    private static string? FieldOf(string? path, ReadOnlySpan<byte> column) => path switch
    {
        "ssl" => column.SequenceEqual("server_name"u8) ? "tls.server_name"
            : column.SequenceEqual("version"u8) ? "tls.version"
            : column.SequenceEqual("ja3"u8) ? "tls.ja3"
            : column.SequenceEqual("ja4"u8) ? "tls.ja4"
            : null,
        "http" => column.SequenceEqual("host"u8) ? "http.host"
            : column.SequenceEqual("method"u8) ? "http.method"
            : column.SequenceEqual("uri"u8) ? "http.uri"
            : column.SequenceEqual("user_agent"u8) ? "http.user_agent"
            : column.SequenceEqual("status_code"u8) ? "http.status_code"
            : null,
        "ssh" => column.SequenceEqual("client"u8) ? "ssh.client"
            : column.SequenceEqual("server"u8) ? "ssh.server"
            : null,
        "dns" => column.SequenceEqual("query"u8) ? "dns.query" : null,
        _ => null,
    };

    /// <summary>The evidence field of dpd.log and analyzer.log: "ANALYZER: reason".</summary>
    private const string Failure = "analyzer.failure";

    private static bool IsAnalyzerColumn(string? path, ReadOnlySpan<byte> column)
        => (path == "dpd" && column.SequenceEqual("analyzer"u8)) || (path == "analyzer" && column.SequenceEqual("analyzer_name"u8));

    private static bool IsReasonColumn(string? path, ReadOnlySpan<byte> column)
        => path is "dpd" or "analyzer" && column.SequenceEqual("failure_reason"u8);

    /// <summary>Reads the lines of one log: its header (TSV) or each object's keys (JSON) say where the uid and the values are.</summary>
    private sealed class LogReader(EvidenceJoin join, string? pathOfName)
    {
        private readonly List<(int Column, string Field)> _columns = [];
        private byte _separator = (byte)'\t';
        private byte[] _unset = "-"u8.ToArray();
        private byte[] _empty = "(empty)"u8.ToArray();
        private string? _headerPath;
        private bool _hasHeaderPath;
        private int _fieldCount;
        private int _uid = -1;
        private int _analyzer = -1;
        private int _reason = -1;
        private bool _json;
        private byte[] _scratch = new byte[256];
        private int[] _bounds = new int[32];
        private long _read;
        private long _joined;
        private long _unmatched;
        private long _rejected;
        private long _skipped;

        private string? Path => _hasHeaderPath ? _headerPath : pathOfName;

        public void RejectTooLong()
        {
            _read++;
            _rejected++;
        }

        public ZeekEvidenceCounts Counts(string inputName) => new()
        {
            InputName = inputName,
            Path = Path,
            Read = _read,
            Joined = _joined,
            Unmatched = _unmatched,
            Rejected = _rejected,
            Skipped = _skipped,
        };

        public void Line(ReadOnlySpan<byte> line)
        {
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.StartsWith("\uFEFF"u8))
            {
                line = line[3..];
            }

            if (line.IsEmpty)
            {
                return;
            }

            if (line[0] == (byte)'#' && !_json)
            {
                Header(line);
                return;
            }

            _read++;
            if (_fieldCount == 0 && (_json || line[0] == (byte)'{'))
            {
                _json = true;
                Json(line);
            }
            else
            {
                Tsv(line);
            }
        }

        private void Header(ReadOnlySpan<byte> line)
        {
            if (line.StartsWith("#separator "u8))
            {
                var value = line["#separator "u8.Length..];
                Span<byte> decoded = stackalloc byte[8];
                if (value.Length <= decoded.Length && ZeekEscapes.Unescape(value, decoded) == 1)
                {
                    _separator = decoded[0];
                }

                _fieldCount = 0;
                _columns.Clear();
                return;
            }

            var at = line.IndexOf(_separator);
            if (at < 0)
            {
                return;
            }

            var name = line[..at];
            var rest = line[(at + 1)..];
            if (name.SequenceEqual("#unset_field"u8))
            {
                _unset = Decode(rest);
            }
            else if (name.SequenceEqual("#empty_field"u8))
            {
                _empty = Decode(rest);
            }
            else if (name.SequenceEqual("#path"u8))
            {
                _headerPath = Known(Encoding.UTF8.GetString(Decode(rest)));
                _hasHeaderPath = true;
                Columns(_lastFields);
            }
            else if (name.SequenceEqual("#fields"u8))
            {
                _lastFields = rest.ToArray();
                Columns(_lastFields);
            }
        }

        private byte[] _lastFields = [];

        private void Columns(ReadOnlySpan<byte> fields)
        {
            _columns.Clear();
            _uid = _analyzer = _reason = -1;
            _fieldCount = 0;
            if (fields.IsEmpty)
            {
                return;
            }

            var index = 0;
            while (true)
            {
                var at = fields.IndexOf(_separator);
                var column = at < 0 ? fields : fields[..at];
                if (column.SequenceEqual("uid"u8))
                {
                    _uid = index;
                }
                else if (IsAnalyzerColumn(Path, column))
                {
                    _analyzer = index;
                }
                else if (IsReasonColumn(Path, column))
                {
                    _reason = index;
                }
                else if (FieldOf(Path, column) is { } field)
                {
                    _columns.Add((index, field));
                }

                index++;
                if (at < 0)
                {
                    break;
                }

                fields = fields[(at + 1)..];
            }

            _fieldCount = index;
            if (_bounds.Length < index + 1)
            {
                _bounds = new int[index + 1];
            }
        }

        private void Tsv(ReadOnlySpan<byte> line)
        {
            if (_fieldCount == 0 || Path is null)
            {
                _skipped++;
                return;
            }

            // _bounds[k] is the index of the separator after field k (the line's length after the last).
            var count = 0;
            for (var i = 0; i < line.Length && count < _fieldCount; i++)
            {
                if (line[i] == _separator)
                {
                    _bounds[count++] = i;
                }
            }

            if (count != _fieldCount - 1 || line[(count == 0 ? 0 : _bounds[count - 1] + 1)..].Contains(_separator))
            {
                _rejected++;
                return;
            }

            _bounds[count] = line.Length;
            if (_uid < 0)
            {
                _rejected++;
                return;
            }

            var uid = Field(line, _uid);
            if (IsUnset(uid) || !join.IsTracked(uid))
            {
                _unmatched++;
                return;
            }

            _joined++;
            foreach (var (column, field) in _columns)
            {
                var value = Field(line, column);
                if (!IsUnset(value))
                {
                    join.Add(uid, field, value);
                }
            }

            if (_analyzer >= 0 || _reason >= 0)
            {
                AddFailure(uid, _analyzer >= 0 ? Unset(Field(line, _analyzer)) : default, _reason >= 0 ? Unset(Field(line, _reason)) : default);
            }
        }

        private ReadOnlySpan<byte> Field(ReadOnlySpan<byte> line, int column)
        {
            var start = column == 0 ? 0 : _bounds[column - 1] + 1;
            return line[start.._bounds[column]];
        }

        private bool IsUnset(ReadOnlySpan<byte> value) => value.IsEmpty || value.SequenceEqual(_unset) || value.SequenceEqual(_empty);

        private ReadOnlySpan<byte> Unset(ReadOnlySpan<byte> value) => IsUnset(value) ? default : value;

        private void AddFailure(ReadOnlySpan<byte> uid, ReadOnlySpan<byte> analyzer, ReadOnlySpan<byte> reason)
        {
            if (analyzer.IsEmpty && reason.IsEmpty)
            {
                return;
            }

            var length = analyzer.Length + 2 + reason.Length;
            var text = Scratch(length);
            analyzer.CopyTo(text);
            var at = analyzer.Length;
            if (!analyzer.IsEmpty && !reason.IsEmpty)
            {
                text[at++] = (byte)':';
                text[at++] = (byte)' ';
            }

            reason.CopyTo(text[at..]);
            join.Add(uid, Failure, text[..(at + reason.Length)]);
        }

        private Span<byte> Scratch(int length)
        {
            if (_scratch.Length < length)
            {
                _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
            }

            return _scratch.AsSpan(0, length);
        }

        private void Json(ReadOnlySpan<byte> line)
        {
            if (!Utf8.IsValid(line))
            {
                _rejected++;
                return;
            }

            // Two passes over the object: the first finds _path and uid (they may come after the values), the second the values.
            string? path = Path;
            ReadOnlySpan<byte> uid = default;
            byte[]? uidCopy = null;
            try
            {
                var reader = new Utf8JsonReader(line, JsonOptions);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    _rejected++;
                    return;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isPath = reader.ValueTextEquals("_path"u8);
                    var isUid = !isPath && reader.ValueTextEquals("uid"u8);
                    reader.Read();
                    if (isPath && reader.TokenType == JsonTokenType.String)
                    {
                        path = Known(reader.GetString() ?? string.Empty);
                    }
                    else if (isUid && reader.TokenType == JsonTokenType.String)
                    {
                        uid = reader.ValueIsEscaped ? (uidCopy = Encoding.UTF8.GetBytes(reader.GetString() ?? string.Empty)) : reader.ValueSpan;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                {
                    _rejected++;
                    return;
                }

                if (path is null)
                {
                    _skipped++;
                    return;
                }

                if (uid.IsEmpty)
                {
                    _rejected++;
                    return;
                }

                if (!join.IsTracked(uid))
                {
                    _unmatched++;
                    return;
                }

                _joined++;
                reader = new Utf8JsonReader(line, JsonOptions);
                reader.Read();
                string? analyzer = null;
                string? reason = null;
                Span<byte> name = stackalloc byte[32];
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var propertyName = JsonText.PropertyName(in reader, name);
                    var field = FieldOf(path, propertyName);
                    var isAnalyzer = IsAnalyzerColumn(path, propertyName);
                    var isReason = IsReasonColumn(path, propertyName);
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number) || (field is null && !isAnalyzer && !isReason))
                    {
                        reader.Skip();
                        continue;
                    }

                    if (isAnalyzer || isReason)
                    {
                        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
                        (isAnalyzer ? ref analyzer : ref reason) = text;
                        continue;
                    }

                    if (reader.TokenType == JsonTokenType.Number || !reader.ValueIsEscaped)
                    {
                        join.Add(uid, field!, reader.ValueSpan);
                    }
                    else
                    {
                        var buffer = Scratch(reader.ValueSpan.Length);
                        join.Add(uid, field!, buffer[..reader.CopyString(buffer)]);
                    }
                }

                if (analyzer is not null || reason is not null)
                {
                    AddFailure(uid, Encoding.UTF8.GetBytes(analyzer ?? string.Empty), Encoding.UTF8.GetBytes(reason ?? string.Empty));
                }
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException)
            {
                _rejected++;
            }

            GC.KeepAlive(uidCopy);
        }

        private static byte[] Decode(ReadOnlySpan<byte> value)
        {
            var decoded = new byte[value.Length];
            return decoded.AsSpan(0, ZeekEscapes.Unescape(value, decoded)).ToArray();
        }
    }
}
