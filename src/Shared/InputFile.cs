using Microsoft.Win32.SafeHandles;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// Opens input files the one way every reader does: for reading, shared for reading, writing and deletion (a log that is
/// still written or is being rotated must not fail to open, nor stop its writer), asynchronous, sequential.
/// </summary>
internal static class InputFile
{
    /// <summary>The size of a file stream's buffer.</summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>What an open input file lets others do with it.</summary>
    public const FileShare Share = FileShare.ReadWrite | FileShare.Delete;

    /// <summary>Opens a file as a stream to read from its start.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The stream.</returns>
    public static FileStream Open(string path)
        => new(path, FileMode.Open, FileAccess.Read, Share, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Opens a file for reads at offsets (the parts of a split file).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The handle.</returns>
    public static SafeFileHandle OpenHandle(string path) => File.OpenHandle(path, FileMode.Open, FileAccess.Read, Share);
}
