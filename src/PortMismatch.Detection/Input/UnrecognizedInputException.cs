using System.Text;

namespace PortMismatch.Detection;

/// <summary>
/// Thrown by <see cref="FlowInput"/> when the start of an input matches none of the formats it was given. Its message is
/// one line that says what the input starts with (escaped, capped) and why each format is not it:
/// <c>The input is none of zeek, panos: it starts with "hello"; zeek: no #separator or #fields header line, ...; panos: ....</c>
/// </summary>
public sealed class UnrecognizedInputException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was expected.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    public UnrecognizedInputException(string message, string? inputName)
        : base(message, inputName, lineNumber: 0, byteOffset: 0)
    {
    }

    /// <summary>Creates the exception for content that none of <paramref name="formats"/> recognises, with the message <see cref="Describe"/> makes.</summary>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    /// <param name="head">The first bytes of the content (after gzip), as the formats were given them.</param>
    /// <param name="formats">The formats that were tried.</param>
    public UnrecognizedInputException(string? inputName, ReadOnlySpan<byte> head, IReadOnlyList<InputFormat> formats)
        : base(NoneOf(head, formats), inputName, lineNumber: 0, byteOffset: 0)
    {
    }

    /// <summary>Gets <c>unrecognized-format</c>.</summary>
    public override string ReasonCode => "unrecognized-format";

    /// <summary>
    /// Says in one line what content that none of <paramref name="formats"/> recognises starts with (its first bytes,
    /// escaped by <see cref="InputText"/> and capped) and why each format is not it (<see cref="InputFormat.ExplainMismatch"/>):
    /// <c>it starts with "hello"; zeek: no #separator or #fields header line, ...; panos: ...</c>.
    /// </summary>
    /// <param name="head">The first bytes of the content.</param>
    /// <param name="formats">The formats that were tried.</param>
    /// <returns>The description, without a full stop.</returns>
    public static string Describe(ReadOnlySpan<byte> head, IReadOnlyList<InputFormat> formats)
    {
        ArgumentNullException.ThrowIfNull(formats);
        if (head.IsEmpty)
        {
            return "it is empty";
        }

        var text = new StringBuilder("it starts with \"").Append(InputText.Escape(head)).Append('"');
        foreach (var format in formats)
        {
            text.Append("; ").Append(format.Name).Append(": ").Append(format.ExplainMismatch(head));
        }

        return text.ToString();
    }

    private static string NoneOf(ReadOnlySpan<byte> head, IReadOnlyList<InputFormat> formats)
    {
        ArgumentNullException.ThrowIfNull(formats);
        var names = new StringBuilder();
        foreach (var format in formats)
        {
            names.Append(names.Length == 0 ? string.Empty : ", ").Append(format.Name);
        }

        return $"The input is none of {names}: {Describe(head, formats)}.";
    }
}
