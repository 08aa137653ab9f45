using Microsoft.Extensions.DependencyInjection;

namespace PortMismatch.Detection.Siem.Tests.DependencyInjection;

/// <summary>The three Use methods share one rule: one sink, registered once, a second one refused by name.</summary>
public sealed class SinkRegistrationTests
{
    public static TheoryData<string, string> Pairs() => new()
    {
        { "ocsf", "hec" }, { "ocsf", "ecs" }, { "ecs", "ocsf" }, { "ecs", "hec" }, { "hec", "ocsf" }, { "hec", "ecs" },
    };

    private static void Use(PortMismatchDetectionBuilder builder, string output)
    {
        switch (output)
        {
            case "ocsf":
                builder.UseOcsfOutput(o => o.Path = "findings.ocsf.jsonl");
                break;
            case "ecs":
                builder.UseEcsOutput(o => o.Path = "alerts.ecs.ndjson");
                break;
            default:
                builder.UseSplunkHec(o => (o.Url, o.Token) = ("https://splunk.example:8088", "t"));
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void A_second_siem_output_is_refused_naming_itself_and_leaves_one_sink(string first, string second)
    {
        var services = new ServiceCollection();
        var builder = services.AddPortMismatchDetection();
        Use(builder, first);
        Use(builder, first); // the same output again only adds its configuration

        var e = Assert.Throws<InvalidOperationException>(() => Use(builder, second));
        var method = second switch { "ocsf" => "UseOcsfOutput", "ecs" => "UseEcsOutput", _ => "UseSplunkHec" };
        Assert.StartsWith($"{method}() cannot register", e.Message, StringComparison.Ordinal);
        Assert.Single(services, d => d.ServiceType == typeof(IMismatchRowSink));
    }
}
