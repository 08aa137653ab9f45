using System.Text;

namespace PortMismatch.Detection.Tests.ResourceBounds;

/// <summary>
/// Rule and allow-list JSON nested 10,000 deep: refused with <see cref="ConfigurationFormatException"/> at the reader's
/// depth limit (System.Text.Json's default, 64) after a bounded number of bytes allocated, and the next valid file loads.
/// </summary>
[Collection(Measurements.Collection)]
public sealed class DeepJsonTests
{
    private const int Depth = 10_000;

    /// <summary>Where the nesting is: at the top, in an object, and inside <c>ports</c>, whose items are read as JSON elements.</summary>
    public static TheoryData<string> Shapes => new() { "array", "object", "rule-ports", "allow-ports" };

    private static byte[] Nested(string shape)
    {
        var (prefix, open, middle, close, suffix) = shape switch
        {
            "array" => ("", "[", "", "]", ""),
            "object" => ("", "{\"a\":", "0", "}", ""),
            "rule-ports" => ("{\"rules\":[{\"id\":\"x\",\"name\":\"x\",\"apps\":[\"dns\"],\"ports\":[", "[", "53", "]", "]}]}"),
            _ => ("{\"allow\":[{\"comment\":\"c\",\"ports\":[", "[", "53", "]", "]}]}"),
        };
        var text = new StringBuilder(prefix);
        for (var i = 0; i < Depth; i++)
        {
            text.Append(open);
        }

        text.Append(middle);
        for (var i = 0; i < Depth; i++)
        {
            text.Append(close);
        }

        return Encoding.UTF8.GetBytes(text.Append(suffix).ToString());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_rule_file_nested_10000_deep_is_refused_in_bounded_memory_and_the_next_file_loads(string shape)
    {
        var input = Nested(shape);
        _ = Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Parse(input)); // warm-up: first-use costs
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ConfigurationFormatException>(() => RuleSetJson.Parse(input));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Current.TestOutputHelper?.WriteLine($"rules, {shape}: {allocated:N0} bytes allocated for {input.Length:N0} bytes of input: {error.Message}");
        Assert.InRange(allocated, 0, 256 * 1024);
        Assert.Equal(2, RuleSetJson.Parse(Encoding.UTF8.GetBytes(RuleSetJson.ToJson(new RuleSet(RuleSet.Escu.Rules[..2])))).Count);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void An_allow_list_nested_10000_deep_is_refused_in_bounded_memory_and_the_next_file_loads(string shape)
    {
        var input = Nested(shape);
        _ = Assert.Throws<ConfigurationFormatException>(() => AllowListJson.Parse(input));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ConfigurationFormatException>(() => AllowListJson.Parse(input));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Current.TestOutputHelper?.WriteLine($"allow list, {shape}: {allocated:N0} bytes allocated for {input.Length:N0} bytes of input: {error.Message}");
        Assert.InRange(allocated, 0, 256 * 1024);
        Assert.Single(AllowListJson.Parse("""{ "allow": [ { "comment": "mDNS", "app": "dns", "ports": [5353] } ] }"""u8));
    }
}
