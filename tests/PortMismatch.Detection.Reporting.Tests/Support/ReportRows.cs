using System.Collections.Immutable;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace PortMismatch.Detection.Reporting.Tests.Support;

/// <summary>Rows for the tests (seeded), hostile values, and reading a report back with an HTML5 parser that is not ours.</summary>
internal static class ReportRows
{
    /// <summary>2024-11-26 00:00:00 UTC.</summary>
    public const long Start = 1_732_579_200_000_000L;

    public const long Hour = 3_600_000_000L;

    /// <summary><paramref name="count"/> rows of the ESCU and extended rules, first seen within <paramref name="hours"/> hours of <see cref="Start"/>.</summary>
    public static List<MismatchRow> Random(int seed, int count, int hours = 48, TimeSpan? window = null)
    {
        var random = new Random(seed);
        var rules = RuleSet.Extended.Rules;
        var rows = new List<MismatchRow>(count);
        for (var i = 0; i < count; i++)
        {
            var rule = rules[random.Next(rules.Length)];
            var first = Start + random.NextInt64(hours * Hour);
            var last = first + random.NextInt64(Hour);
            var source = IPAddressValue.Parse($"10.{random.Next(3)}.{random.Next(256)}.{random.Next(1, 255)}");
            var destination = random.Next(10) == 0
                ? IPAddressValue.Parse($"2001:db8::{random.Next(65536):x}")
                : IPAddressValue.Parse($"203.0.113.{random.Next(1, 255)}");
            long? windowStart = window is { } w ? first / (w.Ticks / 10) * (w.Ticks / 10) : null;
            rows.Add(new MismatchRow(
                source, destination, rule.Apps[random.Next(rule.Apps.Length)], random.Next(1024, 65536), random.Next(1, 500), first, last, rule,
                random.Next(4) == 0 ? [Transport.Udp] : [Transport.Tcp])
            {
                WindowStartMicroseconds = windowStart,
                WindowEndMicroseconds = windowStart + (window?.Ticks / 10),
            });
        }

        return rows;
    }

    /// <summary>
    /// A value that would run script if it were written as markup anywhere in the page (text, an attribute, a script block),
    /// numbered so that the test can tell which field it came from: it would set the page's title or an attribute.
    /// </summary>
    public static string Payload(int n)
        => $"<img src=x onerror=\"document.title='pwned{n}'\"></script><script>document.documentElement.setAttribute('data-pwned','{n}')</script>\"' onmouseover=\"document.title='pwned{n}'\" <!-- \u2028\u2029 &amp; {{{n}}}";

    public static MismatchRow Row(string app, DetectionRule? rule, int port = 4444, long count = 3, long first = Start, long last = Start + Hour)
        => new(IPAddressValue.Parse("10.1.0.13"), IPAddressValue.Parse("203.0.113.66"), app, port, count, first, last, rule, ImmutableArray.Create(Transport.Tcp));

    public static string Render(IReadOnlyList<MismatchRow> rows, HtmlReportRun? run)
    {
        using var stream = new MemoryStream();
        HtmlReport.Write(stream, rows, run);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static IDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    /// <summary>UTC to the second, computed by another route than the writer's (DateTimeOffset from milliseconds).</summary>
    public static string Time(long microseconds) => DateTimeOffset.FromUnixTimeMilliseconds(microseconds / 1000).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    public static string Folder()
    {
        var folder = Repository.PathOf("artifacts", "reports");
        Directory.CreateDirectory(folder);
        return folder;
    }
}
