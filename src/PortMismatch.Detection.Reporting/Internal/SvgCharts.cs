using System.Globalization;

namespace PortMismatch.Detection.Reporting.Internal;

/// <summary>
/// The charts, as inline SVG written here (no library): a stacked bar per time bucket with one colour per rule, and
/// horizontal bars for the top keys. Labels from the data are escaped like all text; each bar has a &lt;title&gt; with its
/// exact numbers (a tooltip, and what a screen reader reads).
/// </summary>
internal static class SvgCharts
{
    /// <summary>Tableau 10: distinct for the common kinds of colour blindness.</summary>
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Timeline(TextWriter w, ReportSummary summary)
    {
        var buckets = summary.Buckets;
        if (buckets.Length == 0)
        {
            w.Write("<p id=\"timeline\" class=\"muted\">No findings to draw.</p>\n");
            return;
        }

        const int Width = 960, Height = 240, Left = 48, Right = 12, Top = 10, Bottom = 40;
        long max = 1;
        foreach (var bucket in buckets)
        {
            long sum = 0;
            foreach (var n in bucket)
            {
                sum += n;
            }

            max = Math.Max(max, sum);
        }

        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var step = (double)plotWidth / buckets.Length;
        var barWidth = Math.Max(1, step * 0.8);
        var unit = summary.ByWindow ? "window" : "bucket";
        w.Write(string.Create(Inv, $"<figure><svg id=\"timeline\" class=\"chart\" role=\"img\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" xmlns=\"http://www.w3.org/2000/svg\"><title>Findings per rule per {(summary.ByWindow ? "window" : "time bucket")} of {ReportDocument.Duration(TimeSpan.FromTicks(summary.BucketWidthMicroseconds * 10))}</title>\n"));
        w.Write(string.Create(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{Width - Right}\" y2=\"{Top + plotHeight}\"/><line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\"/>\n"));
        w.Write(string.Create(Inv, $"<text x=\"{Left - 4}\" y=\"{Top + 10}\" text-anchor=\"end\">{max:N0}</text><text x=\"{Left - 4}\" y=\"{Top + plotHeight}\" text-anchor=\"end\">0</text>\n"));
        for (var b = 0; b < buckets.Length; b++)
        {
            var x = Left + (b * step) + ((step - barWidth) / 2);
            double y = Top + plotHeight;
            var start = MismatchRowText.Time(summary.FirstBucketMicroseconds + (b * summary.BucketWidthMicroseconds));
            for (var r = 0; r < buckets[b].Length; r++)
            {
                var n = buckets[b][r];
                if (n == 0)
                {
                    continue;
                }

                var h = (double)n / max * plotHeight;
                y -= h;
                w.Write(string.Create(Inv, $"<rect class=\"t\" x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{barWidth:0.##}\" height=\"{h:0.##}\" fill=\"{Palette[r % Palette.Length]}\"><title>"));
                HtmlText.Write(w, string.Create(Inv, $"{summary.RuleIds[r]}: {n:N0} finding{(n == 1 ? string.Empty : "s")} in the {unit} from {start}"));
                w.Write("</title></rect>");
            }
        }

        // About six time labels along the axis.
        var every = Math.Max(1, (buckets.Length + 5) / 6);
        for (var b = 0; b < buckets.Length; b += every)
        {
            var x = Left + (b * step) + (step / 2);
            var label = MismatchRowText.Time(summary.FirstBucketMicroseconds + (b * summary.BucketWidthMicroseconds));
            w.Write(string.Create(Inv, $"\n<text x=\"{x:0.##}\" y=\"{Top + plotHeight + 14}\" text-anchor=\"middle\">{label[..10]}</text><text x=\"{x:0.##}\" y=\"{Top + plotHeight + 27}\" text-anchor=\"middle\">{(label.Length >= 16 ? label[11..16] : string.Empty)}</text>"));
        }

        w.Write("\n</svg><figcaption id=\"legend\">");
        for (var r = 0; r < summary.RuleIds.Count; r++)
        {
            var id = summary.RuleIds[r];
            if (!summary.RowsByRule.TryGetValue(id, out var rows))
            {
                continue;
            }

            w.Write(string.Create(Inv, $"<svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"{Palette[r % Palette.Length]}\"/></svg> "));
            HtmlText.Write(w, string.Create(Inv, $"{id} ({rows:N0})"));
            w.Write(" &nbsp; ");
        }

        w.Write("</figcaption></figure>\n");
    }

    public static void Top(TextWriter w, string id, string heading, List<ReportSummary.TopEntry> entries)
    {
        const int Width = 440, Label = 190, Row = 20, BarMax = 170;
        w.Write("<figure><figcaption><strong>");
        HtmlText.Write(w, heading);
        w.Write(string.Create(Inv, $"</strong> <span class=\"muted\">by findings (bar) and records</span></figcaption>\n<svg id=\"{id}\" class=\"chart\" role=\"img\" width=\"{Width}\" height=\"{Math.Max(1, entries.Count) * Row + 4}\" xmlns=\"http://www.w3.org/2000/svg\">"));
        long max = 1;
        foreach (var entry in entries)
        {
            max = Math.Max(max, entry.Rows);
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var y = i * Row;
            var bar = Math.Max(1, (double)entry.Rows / max * BarMax);
            w.Write(string.Create(Inv, $"\n<g class=\"top\"><title>"));
            HtmlText.Write(w, string.Create(Inv, $"{entry.Key}: {entry.Rows:N0} finding{(entry.Rows == 1 ? string.Empty : "s")}, {entry.Records:N0} record{(entry.Records == 1 ? string.Empty : "s")}"));
            w.Write(string.Create(Inv, $"</title><text x=\"{Label - 6}\" y=\"{y + 14}\" text-anchor=\"end\">"));
            HtmlText.Write(w, HtmlText.Shorten(entry.Key, 30));
            w.Write(string.Create(Inv, $"</text><rect class=\"bar\" x=\"{Label}\" y=\"{y + 3}\" width=\"{bar:0.##}\" height=\"{Row - 6}\"/><text x=\"{Label + bar + 4:0.##}\" y=\"{y + 14}\">{entry.Rows:N0} / {entry.Records:N0}</text></g>"));
        }

        w.Write("\n</svg></figure>\n");
    }
}
