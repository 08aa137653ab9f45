using PortMismatch.Detection.Siem;

namespace PortMismatch.Cli;

/// <summary>--output ecs: the ECS alert writer, with the rule set's name when --rules names one built-in set.</summary>
internal static class EcsOutput
{
    public static EcsAlertWriter CreateWriter(Stream output, string rules, bool leaveOpen) => new(output, new EcsWriterOptions
    {
        // rule.ruleset names the set a rule belongs to: known only when --rules is one built-in set (not a combination or a file).
        RuleSet = rules is "escu" or "extended" or "panos-appid" ? rules : null,
        LeaveOpen = leaveOpen,
    });
}
