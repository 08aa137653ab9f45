using System.Runtime.InteropServices;

namespace PortMismatch.Cli.Tests;

/// <summary>What .NET cannot make: FIFOs and hard links; and a FIFO's waiting reader, released without blocking.</summary>
internal static partial class UnixFiles
{
    private const int OpenWriteOnly = 0x1;
    private const int OpenNonBlocking = 0x800; // Linux

    public static void MakeFifo(string path) => Assert.True(MkFifo(path, Convert.ToUInt32("600", 8)) == 0, $"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");

    public static void MakeHardLink(string target, string path) => Assert.True(Link(target, path) == 0, $"link {path}: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>Opens a FIFO for writing and closes it at once, if a reader waits on it (never blocks): a reader stuck in open() goes on to end of input.</summary>
    public static void ReleaseReader(string fifo)
    {
        var descriptor = Open(fifo, OpenWriteOnly | OpenNonBlocking);
        if (descriptor >= 0)
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string target, string path);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
