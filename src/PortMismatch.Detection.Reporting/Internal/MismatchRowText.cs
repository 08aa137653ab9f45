using System.Globalization;

namespace PortMismatch.Detection.Reporting.Internal;

/// <summary>How the report prints a row's values (the same words as <see cref="MismatchRow.Message"/>).</summary>
internal static class MismatchRowText
{
    public static string Address(IPAddressValue address) => address.HasValue ? address.ToString() : "null";

    /// <summary><c>tcp/4444</c>, <c>tcp+udp/53</c>, or <c>port 4444</c> when the transport is not known.</summary>
    public static string Port(MismatchRow row)
    {
        var transports = row.Transports;
        if (transports.IsEmpty || (transports.Length == 1 && transports[0] == Transport.Unknown))
        {
            return string.Create(CultureInfo.InvariantCulture, $"port {row.DestinationPort}");
        }

        var names = new string[transports.Length];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = transports[i].ToName();
        }

        return string.Create(CultureInfo.InvariantCulture, $"{string.Join('+', names)}/{row.DestinationPort}");
    }

    /// <summary>Why the row is a finding: the ports the rule expects (and whether it is partial or late).</summary>
    /// <summary>
    /// The evidence of a row, a line a field: <c>tls.server_name: a.example (3), b.example; 2 more</c> (the count when a value
    /// was seen more than once, and how many occurrences of other values were not kept), the Community IDs first.
    /// </summary>
    public static IEnumerable<string> Evidence(MismatchEvidence evidence)
    {
        if (evidence.CommunityIds is { } ids)
        {
            yield return Line(ids);
        }

        foreach (var field in evidence.Fields)
        {
            yield return Line(field);
        }

        static string Line(EvidenceField field)
        {
            var text = new System.Text.StringBuilder(field.Name).Append(": ");
            for (var i = 0; i < field.Values.Length; i++)
            {
                var value = field.Values[i];
                text.Append(i == 0 ? string.Empty : ", ").Append(value.Value);
                if (value.Count > 1)
                {
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $" ({value.Count})");
                }
            }

            if (field.OtherCount > 0)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"; {field.OtherCount} more");
            }

            return text.ToString();
        }
    }

    public static string Reason(MismatchRow row)
    {
        var reason = row.Rule is null ? "no rule claims this value" : $"expected ports {row.Rule.ExpectedPorts}";
        return row.IsLate ? reason + "; late records" : row.IsPartial ? reason + "; partial" : reason;
    }

    /// <summary>UTC time to the second, <c>2024-03-01 10:15:42</c> (sorts as text).</summary>
    public static string Time(long unixMicroseconds)
    {
        // Outside the years 1 to 9999 (only a hand-made row): the microseconds as they are.
        const long Epoch = 621_355_968_000_000_000L, Min = -Epoch / 10, Max = (3_155_378_975_999_999_999L - Epoch) / 10;
        return unixMicroseconds is < Min or > Max
            ? unixMicroseconds.ToString(CultureInfo.InvariantCulture)
            : new DateTime(DateTime.UnixEpoch.Ticks + (unixMicroseconds * 10), DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }
}
