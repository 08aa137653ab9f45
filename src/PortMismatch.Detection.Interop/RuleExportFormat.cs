namespace PortMismatch.Detection.Interop;

/// <summary>The engines a rule set is exported to by <see cref="RuleExport.Export"/>.</summary>
public enum RuleExportFormat
{
    /// <summary>A Splunk search: <c>tstats</c> over the CIM <c>Network_Traffic</c> data model, with the allow-list as the filter macro.</summary>
    Spl,

    /// <summary>A Microsoft Sentinel query in KQL over the ASIM <c>_Im_NetworkSession</c> parser.</summary>
    Kql,

    /// <summary>Sigma rules, one per rule, as YAML documents.</summary>
    Sigma,

    /// <summary>Suricata rules using <c>app-layer-protocol</c> with the expected ports negated.</summary>
    Suricata,

    /// <summary>A Zeek script that raises a notice per mismatching connection.</summary>
    Zeek,
}
