namespace PortMismatch.Detection.TestSupport;

/// <summary>
/// Where the repository's files are, for tests that read the README, the docs or the bundled samples, and where the
/// third-party corpus is (<c>../shared/corpus/</c> next to the repository, not part of it).
/// </summary>
public static class Repository
{
    private static readonly Lazy<string?> RootOrNull = new(FindRoot);

    /// <summary>
    /// Gets the repository root: the nearest folder above the test's output directory that holds
    /// <c>PortMismatch.Detection.sln</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No folder above the output directory holds it.</exception>
    public static string Root => RootOrNull.Value
        ?? throw new InvalidOperationException($"The repository root (with PortMismatch.Detection.sln) is not above {AppContext.BaseDirectory}.");

    /// <summary>Gets the path of a file or folder of the repository.</summary>
    /// <param name="parts">The path below the root, one part per folder.</param>
    /// <returns>The full path.</returns>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Gets the path of a bundled sample in <c>samples/data/</c>.</summary>
    /// <param name="name">The file's name.</param>
    /// <returns>The full path.</returns>
    public static string Sample(string name) => PathOf("samples", "data", name);

    /// <summary>
    /// Gets the folder of one format's third-party corpus, <c>../shared/corpus/&lt;format&gt;</c> next to the repository
    /// root, or skips the test when it is not there (a clone without the corpus still passes).
    /// </summary>
    /// <param name="format">The corpus folder: <c>zeek</c>, <c>panos</c> or <c>ipfix</c>.</param>
    /// <returns>The full path of the folder.</returns>
    public static string CorpusOrSkip(string format)
    {
        var root = RootOrNull.Value;
        var corpus = root is null ? null : Path.GetFullPath(Path.Combine(root, "..", "shared", "corpus", format));
        if (corpus is null || !Directory.Exists(corpus))
        {
            Assert.Skip($"{format} corpus not present (looked for ../shared/corpus/{format} next to the repository root {root ?? "(not found)"})");
        }

        return corpus;
    }

    private static string? FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PortMismatch.Detection.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
