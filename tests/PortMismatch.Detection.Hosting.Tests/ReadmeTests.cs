namespace PortMismatch.Detection.Hosting.Tests;

/// <summary>The package README's complete Program.cs is <see cref="ReadmeProgram"/> and the FindingsFile class beside it.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void The_readme_program_is_code_that_compiles()
    {
        var source = File.ReadAllText(Repository.PathOf("tests", "PortMismatch.Detection.Hosting.Tests", "ReadmeProgram.cs"));
        var readme = Normalize(File.ReadAllText(Repository.PathOf("src", "PortMismatch.Detection.Hosting", "README.md")));

        Assert.Contains(Normalize(Between(source, "// --- begin README program ---", "// --- end README program ---")), readme, StringComparison.Ordinal);
        Assert.Contains(Normalize(Between(source, "// --- begin README sink ---", "// --- end README sink ---")), readme, StringComparison.Ordinal);
        Assert.Contains(Normalize("using Microsoft.Extensions.DependencyInjection;\nusing Microsoft.Extensions.Hosting;\nusing PortMismatch.Detection;"), readme, StringComparison.Ordinal);
    }

    private static string Between(string text, string begin, string end)
    {
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, start, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"markers {begin} and {end}");
        return text[(start + begin.Length)..stop];
    }

    private static string Normalize(string text) => string.Join('\n', text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));
}
