namespace PortMismatch.Cli;

/// <summary>Damaged gzip data in an input the host unwraps itself to detect its format (the adapters throw their own type).</summary>
internal sealed class CompressedInputException(string message, long byteOffset)
    : InputFormatException(message, inputName: null, lineNumber: 0, byteOffset)
{
    public override string ReasonCode => "corrupt-compressed-input";
}
