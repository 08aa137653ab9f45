namespace PortMismatch.Detection.Interop;

/// <summary>
/// Something of the rule set or allow-list that an export could not express exactly in its target, and therefore left out
/// or wrote as the nearest the target can say (the reason says which), named so that nothing is lost silently: the
/// export's text says it too, in a comment at its top.
/// </summary>
public sealed class RuleExportOmission
{
    /// <summary>Creates an omission.</summary>
    /// <param name="subject">What was left out: a rule id, an app of a rule, an exemption or an allow-list entry.</param>
    /// <param name="reason">Why the target cannot express it.</param>
    public RuleExportOmission(string subject, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Subject = subject;
        Reason = reason;
    }

    /// <summary>Gets what was left out: a rule id, an app of a rule, an exemption or an allow-list entry.</summary>
    public string Subject { get; }

    /// <summary>Gets why the target cannot express it.</summary>
    public string Reason { get; }

    /// <summary>Returns the subject and the reason.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Subject}: {Reason}";
}
