using System.Text;

namespace PortMismatch.Detection.PanOs.Tests;

/// <summary>Builds PAN-OS TRAFFIC CSV lines field by field, for any PAN-OS generation's field count.</summary>
public sealed class TrafficLine
{
    // A PAN-OS 8.1 end log (65 fields), written by hand after the field list of the PAN-OS 8.1 syslog documentation.
    private static readonly string[] Base81 =
    [
        "1", "2018/11/30 16:09:07", "012801096514", "TRAFFIC", "end", "2049", "2018/11/30 16:09:07", "192.168.15.207",
        "203.0.113.152", "192.168.1.63", "203.0.113.152", "new_outbound_from_trust", "", "", "ssl", "vsys1", "trust", "untrust",
        "ethernet1/2", "ethernet1/1", "send_to_mac", "2018/11/30 16:09:07", "22751", "1", "55113", "443", "16418", "443",
        "0x400053", "tcp", "allow", "7734", "1758", "5976", "36", "2018/11/30 15:59:04", "586", "computer-and-internet-info",
        "0", "32091112", "0x0", "192.168.0.0-192.168.255.255", "United States", "0", "16", "20", "tcp-fin", "0", "0", "0", "0",
        "", "PA-220", "from-policy", "", "", "0", "", "0", "", "N/A", "0", "0", "0", "0",
    ];

    private readonly List<string> _fields;
    private readonly HashSet<int> _verbatim = [];

    public TrafficLine(int fieldCount = 65)
    {
        _fields = [];
        for (var i = 0; i < fieldCount; i++)
        {
            _fields.Add(i < Base81.Length ? Base81[i] : (i == 69 ? "{1,2,3}" : i == 109 ? "used-by-malware,able-to-transfer-file" : ""));
        }

        if (fieldCount > 69)
        {
            _verbatim.Add(69);
        }
    }

    public string this[int index]
    {
        get => _fields[index];
        set => _fields[index] = value;
    }

    public int Count => _fields.Count;

    public TrafficLine Set(int index, string value)
    {
        _fields[index] = value;
        return this;
    }

    /// <summary>Writes the field exactly as given (no quoting), for malformed-input tests.</summary>
    public TrafficLine SetVerbatim(int index, string value)
    {
        _fields[index] = value;
        _verbatim.Add(index);
        return this;
    }

    public TrafficLine With(string? app = null, string? destPort = null, string? transport = null, string? subtype = null, string? type = null)
    {
        if (app is not null)
        {
            _fields[14] = app;
        }

        if (destPort is not null)
        {
            _fields[25] = destPort;
        }

        if (transport is not null)
        {
            _fields[29] = transport;
        }

        if (subtype is not null)
        {
            _fields[4] = subtype;
        }

        if (type is not null)
        {
            _fields[3] = type;
        }

        return this;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < _fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            var value = _fields[i];
            if (!_verbatim.Contains(i) && (value.Contains(',') || value.Contains('"')))
            {
                text.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                text.Append(value);
            }
        }

        return text.ToString();
    }
}
