namespace PortMismatch.Detection.Interop.Tests;

public sealed class RuleExportTests
{
    [Theory]
    [InlineData("spl", RuleExportFormat.Spl)]
    [InlineData("KQL", RuleExportFormat.Kql)]
    [InlineData(" Sigma ", RuleExportFormat.Sigma)]
    [InlineData("suricata", RuleExportFormat.Suricata)]
    [InlineData("zeek", RuleExportFormat.Zeek)]
    public void Every_format_is_known_by_its_command_line_name(string name, RuleExportFormat expected)
    {
        Assert.True(RuleExport.TryParseFormat(name, out var format));
        Assert.Equal(expected, format);
    }

    [Theory]
    [InlineData("")]
    [InlineData("json")]
    [InlineData("splunk")]
    public void An_unknown_name_is_no_format(string name) => Assert.False(RuleExport.TryParseFormat(name, out _));
}
