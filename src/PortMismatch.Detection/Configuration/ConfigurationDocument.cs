using System.Globalization;
using System.Text.Json;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

/// <summary>
/// The bytes of one rule or allow-list file, read before and around the source-generated deserializer: checks every key
/// and value type against a <see cref="ConfigurationShape"/>, turns the reader's errors and the mappers' JSON paths into one
/// 1-based line and column, and builds the one-line message (<c>rules.json: line 7, column 5: unknown key "prots" in
/// rule "dns"; valid keys: ...</c>).
/// </summary>
internal static class ConfigurationDocument
{
    /// <summary>The same reading rules as the serializer context: comments and trailing commas, depth 64.</summary>
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Reads a stream to its end; rule files are small, and errors need the bytes to give a position.</summary>
    public static byte[] ReadAll(Stream utf8Json)
    {
        if (utf8Json.CanSeek)
        {
            var length = utf8Json.Length - utf8Json.Position;
            if (length is >= 0 and < int.MaxValue)
            {
                var bytes = new byte[length];
                utf8Json.ReadExactly(bytes);
                return bytes;
            }
        }

        using var copy = new MemoryStream();
        utf8Json.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Skips a UTF-8 byte order mark, as the serializer's stream reader does.</summary>
    public static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> json) => json.StartsWith("\uFEFF"u8) ? json[3..] : json;

    /// <summary>Checks the document's syntax, keys and value types; throws at the first problem.</summary>
    public static void Check(ReadOnlySpan<byte> json, ConfigurationShape file, string? source)
    {
        var failure = new Failure(source, file.Name);
        if (json.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            throw failure.At(json, 0, "$", $"the file is empty; expected {file.Form}");
        }

        var reader = new Utf8JsonReader(json, ReaderOptions);
        var paths = new Stack<string>();
        paths.Push("$");
        try
        {
            reader.Read();
            CheckObject(ref reader, json, file, new Owner(file, reader.TokenStartIndex, "$", null), paths, failure);
            reader.Read(); // content after the object is a reader error
        }
        catch (JsonException e)
        {
            throw failure.NotJson(json, paths.Peek(), e);
        }
    }

    /// <summary>The problem a mapper found at a JSON path, at the line and column of that path's value.</summary>
    public static ConfigurationFormatException At(ReadOnlySpan<byte> json, string? source, ConfigurationShape file, ConfigurationProblem problem)
        => new Failure(source, file.Name).At(json, Locate(json, problem.JsonPath), problem.JsonPath, problem.Message, problem);

    /// <summary>A <see cref="JsonException"/> the serializer still raised (a number too large for an integer), at its position.</summary>
    public static ConfigurationFormatException NotJson(ReadOnlySpan<byte> json, string? source, ConfigurationShape file, JsonException e)
        => new Failure(source, file.Name).NotJson(json, e.Path ?? "$", e);

    private static void CheckObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ConfigurationShape shape, Owner owner, Stack<string> paths, Failure failure)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw failure.At(json, reader.TokenStartIndex, owner.Path, $"{owner.Describe(json)} is {Found(ref reader)}; expected {shape.Form}");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ValueShape? value = null;
            string? key = null;
            foreach (var (name, shapeOfValue) in shape.Keys)
            {
                if (reader.ValueTextEquals(name))
                {
                    (key, value) = (name, shapeOfValue);
                    break;
                }
            }

            if (value is null || key is null)
            {
                var unknown = KeyText(ref reader);
                throw failure.At(json, reader.TokenStartIndex, $"{owner.Path}.{unknown}", $"unknown key \"{unknown}\" in {owner.Describe(json)}; valid keys: {shape.ValidKeys}");
            }

            var path = $"{owner.Path}.{key}";
            paths.Push(path);
            reader.Read();
            CheckValue(ref reader, json, value, key, path, owner, paths, failure);
            paths.Pop();
        }
    }

    private static void CheckValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ValueShape value, string key, string path, Owner owner, Stack<string> paths, Failure failure)
    {
        var start = reader.TokenStartIndex;
        var ok = value.Kind switch
        {
            ValueKind.String => reader.TokenType == JsonTokenType.String,
            ValueKind.Integer => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out _),
            _ => reader.TokenType == JsonTokenType.StartArray,
        };
        if (!ok)
        {
            throw failure.At(json, start, path, $"\"{key}\" of {owner.Describe(json)} is {Found(ref reader)}; expected {value.Form}");
        }

        if (value.Kind == ValueKind.String)
        {
            CheckText(ref reader, json, path, $"\"{key}\" of {owner.Describe(json)}", failure);
            return;
        }

        if (value.Kind == ValueKind.Integer)
        {
            return;
        }

        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
            var item = value.Kind switch
            {
                ValueKind.Strings => reader.TokenType == JsonTokenType.String ? null : "a string",
                ValueKind.Ports => reader.TokenType is JsonTokenType.Number or JsonTokenType.String ? null : "a number 0-65535 or a string range such as \"8000-8080\"",
                _ => null,
            };
            if (item is not null)
            {
                throw failure.At(json, reader.TokenStartIndex, at, $"item {i + 1} of \"{key}\" of {owner.Describe(json)} is {Found(ref reader)}; expected {item}");
            }

            if (value.Item is { } objects)
            {
                paths.Push(at);
                CheckObject(ref reader, json, objects, new Owner(objects, reader.TokenStartIndex, at, owner), paths, failure);
                paths.Pop();
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                CheckText(ref reader, json, at, $"item {i + 1} of \"{key}\" of {owner.Describe(json)}", failure);
            }
        }
    }

    /// <summary>A JSON string that is not valid UTF-8 (or holds a lone surrogate escape) cannot become a .NET string.</summary>
    private static void CheckText(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string path, string what, Failure failure)
    {
        var valid = !reader.ValueIsEscaped && !reader.HasValueSequence
            ? System.Text.Unicode.Utf8.IsValid(reader.ValueSpan)
            : TryGetString(ref reader);
        if (!valid)
        {
            throw failure.At(json, reader.TokenStartIndex, path, $"{what} is not valid UTF-8 text");
        }
    }

    private static bool TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            _ = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string KeyText(ref Utf8JsonReader reader)
    {
        try
        {
            return TextEscaper.Escape(reader.GetString());
        }
        catch (InvalidOperationException)
        {
            return TextEscaper.Escape(reader.ValueSpan);
        }
    }

    private static string Found(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => reader.TryGetInt32(out var n) ? string.Create(CultureInfo.InvariantCulture, $"the number {n}") : "a number that is not an integer in range",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => "nothing",
    };

    /// <summary>The byte offset of the value at a JSON path such as <c>$.rules[2].ports[0]</c>, or of its nearest ancestor that exists.</summary>
    internal static long Locate(ReadOnlySpan<byte> json, string jsonPath)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        long offset = 0;
        try
        {
            if (!reader.Read())
            {
                return 0;
            }

            offset = reader.TokenStartIndex;
            var rest = jsonPath.AsSpan(1);
            while (!rest.IsEmpty)
            {
                bool found;
                if (rest[0] == '[')
                {
                    var close = rest.IndexOf(']');
                    var index = int.Parse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture);
                    rest = rest[(close + 1)..];
                    found = reader.TokenType == JsonTokenType.StartArray && SeekItem(ref reader, index);
                }
                else
                {
                    rest = rest[1..];
                    var end = rest.IndexOfAny('.', '[');
                    var name = end < 0 ? rest : rest[..end];
                    rest = end < 0 ? default : rest[end..];
                    found = reader.TokenType == JsonTokenType.StartObject && SeekProperty(ref reader, name);
                }

                if (!found)
                {
                    break;
                }

                offset = reader.TokenStartIndex;
            }
        }
        catch (JsonException)
        {
            // The nearest ancestor found is the position.
        }

        return offset;
    }

    private static bool SeekItem(ref Utf8JsonReader reader, int index)
    {
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            if (i == index)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    private static bool SeekProperty(ref Utf8JsonReader reader, ReadOnlySpan<char> name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>The text of a string property of the object that starts at an offset (a rule's id), when it has one.</summary>
    private static string? StringProperty(ReadOnlySpan<byte> json, long objectStart, string name)
    {
        var reader = new Utf8JsonReader(json[(int)objectStart..], ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match && reader.TokenType == JsonTokenType.String)
                {
                    return TextEscaper.Escape(reader.GetString());
                }

                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // No name: the caller says where the object is instead.
        }

        return null;
    }

    /// <summary>An object being checked, for messages: <c>rule "dns"</c>, <c>exemption "lab" of rule "dns"</c>, <c>rules[2]</c>.</summary>
    private sealed record Owner(ConfigurationShape Shape, long Start, string Path, Owner? Parent)
    {
        public string Describe(ReadOnlySpan<byte> json)
        {
            if (Parent is null)
            {
                return $"the {Shape.Name}";
            }

            var label = StringProperty(json, Start, Shape == ConfigurationShape.Rule ? "id" : "comment");
            var self = label is null ? Path[(Path.LastIndexOf('.') + 1)..] : $"{Shape.Name} \"{label}\"";
            return Parent.Parent is null ? self : $"{self} of {Parent.Describe(json)}";
        }
    }

    private sealed class Failure(string? source, string kind)
    {
        public ConfigurationFormatException At(ReadOnlySpan<byte> json, long offset, string jsonPath, string problem, Exception? inner = null)
        {
            var (line, column) = Position(json, offset);
            return Make(line, column, jsonPath, problem, inner);
        }

        public ConfigurationFormatException NotJson(ReadOnlySpan<byte> json, string jsonPath, JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var column = Column(json, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            return Make(line, column, jsonPath, $"not JSON: {ReaderText(e.Message)}", e);
        }

        private ConfigurationFormatException Make(long line, long column, string jsonPath, string problem, Exception? inner)
            => new(string.Create(CultureInfo.InvariantCulture, $"{source ?? kind}: line {line}, column {column}: {problem}"), jsonPath, line, column, inner) { SourceName = source };

        /// <summary>The reader's text without its own 0-based position (" LineNumber: 0 | BytePositionInLine: 0.") and path.</summary>
        private static string ReaderText(string message)
        {
            var cut = message.Length;
            foreach (var marker in (ReadOnlySpan<string>)[" Path: ", " LineNumber: "])
            {
                var at = message.IndexOf(marker, StringComparison.Ordinal);
                cut = at >= 0 ? Math.Min(cut, at) : cut;
            }

            return message[..cut].TrimEnd();
        }
    }

    /// <summary>The 1-based line and column (in characters) of a byte offset; lines end at \n, as the reader counts them.</summary>
    private static (long Line, long Column) Position(ReadOnlySpan<byte> json, long offset)
    {
        var before = json[..(int)Math.Min(offset, json.Length)];
        var line = before.Count((byte)'\n') + 1;
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (line, Characters(before[lineStart..]) + 1);
    }

    private static long Column(ReadOnlySpan<byte> json, long lineIndex, long bytePositionInLine)
    {
        var lineStart = 0;
        for (long l = 0; l < lineIndex; l++)
        {
            var next = json[lineStart..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            lineStart += next + 1;
        }

        var end = (int)Math.Min(json.Length, lineStart + bytePositionInLine);
        return Characters(json[lineStart..end]) + 1;
    }

    /// <summary>Characters as an editor counts them: UTF-8 lead bytes (continuation bytes are 10xxxxxx).</summary>
    private static int Characters(ReadOnlySpan<byte> utf8)
    {
        var count = 0;
        foreach (var b in utf8)
        {
            count += (b & 0xC0) == 0x80 ? 0 : 1;
        }

        return count;
    }
}

/// <summary>A mapper's finding at a JSON path, before it has a position: <see cref="ConfigurationDocument.At"/> gives it one.</summary>
internal sealed class ConfigurationProblem(string jsonPath, string message) : Exception(message)
{
    public string JsonPath { get; } = jsonPath;
}
