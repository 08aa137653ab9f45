using System.Text;

namespace PortMismatch.Detection.Zeek.Tests.Evidence;

/// <summary>Writes Zeek companion logs (ssl, http, ssh, dns, dpd) as Zeek's ASCII writer does, TSV or JSON.</summary>
public static class CompanionLogs
{
    public static readonly Dictionary<string, string[]> Fields = new(StringComparer.Ordinal)
    {
        ["ssl"] = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "cipher", "curve", "server_name", "resumed", "established", "ja3", "ja4"],
        ["http"] = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth", "method", "host", "uri", "user_agent", "status_code"],
        ["ssh"] = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "auth_success", "client", "server"],
        ["dns"] = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "query", "qtype_name"],
        ["dpd"] = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "analyzer", "failure_reason"],
    };

    /// <summary>A TSV log: <paramref name="records"/> give values by column name (TSV text as Zeek prints it; missing columns are unset).</summary>
    public static string Tsv(string path, IEnumerable<Dictionary<string, string>> records)
    {
        var fields = Fields[path];
        var text = new StringBuilder($"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n#open\t2026-11-26-13-00-00\n#fields\t{string.Join('\t', fields)}\n#types\t{string.Join('\t', fields.Select(_ => "string"))}\n");
        foreach (var record in records)
        {
            text.AppendJoin('\t', fields.Select(f => record.TryGetValue(f, out var v) ? v : "-")).Append('\n');
        }

        return text.Append("#close\t2026-11-26-14-00-00\n").ToString();
    }

    /// <summary>A JSON log: <paramref name="records"/> give values by key, as JSON text (a quoted string or a number).</summary>
    public static string Json(IEnumerable<Dictionary<string, string>> records)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append('{').AppendJoin(',', record.Select(p => $"\"{p.Key}\":{p.Value}")).Append("}\n");
        }

        return text.ToString();
    }
}
