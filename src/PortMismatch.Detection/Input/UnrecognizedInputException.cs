namespace PortMismatch.Detection;

/// <summary>Thrown by <see cref="FlowInput"/> when the start of an input matches none of the formats it was given.</summary>
public sealed class UnrecognizedInputException : InputFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was expected.</param>
    /// <param name="inputName">The input's name, or <see langword="null"/>.</param>
    public UnrecognizedInputException(string message, string? inputName)
        : base(message, inputName, lineNumber: 0, byteOffset: 0)
    {
    }

    /// <summary>Gets <c>unrecognized-format</c>.</summary>
    public override string ReasonCode => "unrecognized-format";
}
