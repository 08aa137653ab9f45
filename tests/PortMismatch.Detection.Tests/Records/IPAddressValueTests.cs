using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace PortMismatch.Detection.Tests.Records;

public sealed class IPAddressValueTests
{
    [Theory]
    // RFC 5952 section 4: leading zeros, longest run, first of equal runs, no single-group compression, lower case.
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:0:0:1:0:0:0:1", "2001:0:0:1::1")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("2001:DB8::AbCd", "2001:db8::abcd")]
    [InlineData("0:0:0:0:0:0:0:0", "::")]
    [InlineData("::1", "::1")]
    [InlineData("1::", "1::")]
    [InlineData("fe80::", "fe80::")]
    [InlineData("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0")]
    [InlineData("::ffff:192.0.2.1", "::ffff:192.0.2.1")]
    [InlineData("0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1")]
    [InlineData("64:ff9b::192.0.2.33", "64:ff9b::c000:221")]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    public void Addresses_format_canonically(string input, string expected)
    {
        Assert.Equal(expected, IPAddressValue.Parse(input).ToString());
        Assert.True(IPAddressValue.TryParse(Encoding.ASCII.GetBytes(input), out var fromUtf8));
        Assert.Equal(expected, fromUtf8.ToString());
        var utf8 = new byte[IPAddressValue.MaxFormattedLength];
        Assert.True(fromUtf8.TryFormat(utf8, out var written));
        Assert.Equal(expected, Encoding.ASCII.GetString(utf8, 0, written));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3.4 ")]
    [InlineData(" 1.2.3.4")]
    [InlineData("1..3.4")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1::2::3")]
    [InlineData(":1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:")]
    [InlineData("12345::")]
    [InlineData("::g")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[::1]")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("::1.2.3")]
    [InlineData(":::")]
    [InlineData("-")]
    [InlineData("null")]
    public void Non_addresses_are_refused(string input)
    {
        Assert.False(IPAddressValue.TryParse(input.AsSpan(), out var address));
        Assert.False(address.HasValue);
        Assert.False(IPAddressValue.TryParse(Encoding.UTF8.GetBytes(input), out _));
    }

    public static Arbitrary<byte[]> AddressBytes() => Arb.From(Gen.OneOf(
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 4),
        Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16),
        // Sparse IPv6 addresses exercise "::" placement.
        Gen.ArrayOf(Gen.Frequency((3, Gen.Constant((byte)0)), (1, ArbMap.Default.GeneratorFor<byte>())), 16)));

    [Property(MaxTest = 20_000, Replay = Generators.Replay, Arbitrary = [typeof(IPAddressValueTests)])]
    public Property Formatting_matches_System_Net_and_parsing_round_trips(byte[] bytes)
    {
        var value = IPAddressValue.FromBytes(bytes);
        var reference = new IPAddress(bytes);
        var text = value.ToString();
        var roundTrip = IPAddressValue.Parse(text);

        // .NET writes IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291) in mixed notation; RFC 5952 only keeps
        // the dotted quad for IPv4-mapped ones, so those are compared by value instead.
        var compatible = bytes.Length == 16 && bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && (bytes[12] | bytes[13]) != 0;
        var sameText = compatible ? IPAddress.Parse(text).Equals(reference) : text == reference.ToString();
        return (sameText && roundTrip == value && value.ToIPAddress()!.Equals(reference)
                && IPAddressValue.FromIPAddress(reference) == value)
            .Label($"{Convert.ToHexString(bytes)} -> {text} (System.Net: {reference})");
    }

    [Property(MaxTest = 5_000, Replay = Generators.Replay, Arbitrary = [typeof(IPAddressValueTests)])]
    public Property Parsing_agrees_with_System_Net_on_the_forms_it_prints(byte[] bytes)
    {
        var reference = new IPAddress(bytes);
        var forms = new List<string> { reference.ToString(), reference.ToString().ToUpperInvariant() };
        if (bytes.Length == 16)
        {
            forms.Add(string.Join(":", Enumerable.Range(0, 8).Select(g => ((bytes[2 * g] << 8) | bytes[(2 * g) + 1]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture))));
        }

        return forms.All(form => IPAddressValue.TryParse(form.AsSpan(), out var parsed) && parsed.ToIPAddress()!.Equals(reference))
            .Label(string.Join(" | ", forms));
    }

    [Fact]
    public void Ordering_puts_none_then_ipv4_then_ipv6()
    {
        var sorted = new[] { IPAddressValue.Parse("::1"), IPAddressValue.Parse("10.0.0.2"), IPAddressValue.None, IPAddressValue.Parse("10.0.0.1") }
            .Order().Select(a => a.ToString()).ToArray();
        Assert.Equal(["", "10.0.0.1", "10.0.0.2", "::1"], sorted);
    }

    [Theory]
    [InlineData("10.1.2.3", "10.0.0.0", 8, true)]
    [InlineData("11.1.2.3", "10.0.0.0", 8, false)]
    [InlineData("10.1.2.3", "0.0.0.0", 0, true)]
    [InlineData("10.1.2.3", "10.1.2.3", 32, true)]
    [InlineData("10.1.2.4", "10.1.2.3", 32, false)]
    [InlineData("2001:db8::1", "2001:db8::", 32, true)]
    [InlineData("2001:db9::1", "2001:db8::", 32, false)]
    [InlineData("2001:db8::1:2", "2001:db8::1:0", 112, true)]
    [InlineData("2001:db8::1", "10.0.0.0", 0, false)]
    public void Network_membership(string address, string network, int prefix, bool expected)
        => Assert.Equal(expected, IPAddressValue.Parse(address).IsInNetwork(IPAddressValue.Parse(network), prefix));
}
