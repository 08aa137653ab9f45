namespace PortMismatch.Detection.Ipfix.Tests;

/// <summary>Finds ../shared/corpus/ipfix next to the repository root (the folder that holds PortMismatch.Detection.sln).</summary>
internal static class CorpusLocator
{
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PortMismatch.Detection.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    public static string IpfixCorpus()
    {
        var root = RepositoryRoot();
        var corpus = root is null ? null : Path.GetFullPath(Path.Combine(root, "..", "shared", "corpus", "ipfix"));
        if (corpus is null || !Directory.Exists(corpus))
        {
            Assert.Skip($"IPFIX corpus not present (looked for ../shared/corpus/ipfix next to the repository root {root ?? "(not found)"})");
        }

        return corpus!;
    }
}
