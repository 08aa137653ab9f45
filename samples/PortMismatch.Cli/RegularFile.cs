using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PortMismatch.Cli;

/// <summary>
/// Opens a file that the walk took for a regular file, without trusting that it still is one: between the walk and the
/// open a file can be replaced by a FIFO (whose open waits for a writer, for good and deaf to Ctrl-C) or a link to a
/// device (<c>/dev/zero</c> never ends). On Linux the open does not wait (<c>O_NONBLOCK</c>, which regular files ignore),
/// and the open file is then checked: its kind by <see cref="FileStatus"/>, or where that cannot tell, whether it can be
/// seeked (FIFOs, sockets and terminals cannot) and its size (0 for devices).
/// </summary>
internal static partial class RegularFile
{
    private const int BufferSize = 1 << 16;

    // The values of Linux on every architecture .NET runs on.
    private const int OpenReadOnly = 0;
    private const int OpenNoControllingTerminal = 0x100;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    private const int EPERM = 1;
    private const int ENOENT = 2;
    private const int EACCES = 13;
    private const int ENOTDIR = 20;

    /// <summary>Opens <paramref name="path"/> for reading.</summary>
    /// <returns>The file, or <see langword="null"/> when it is empty (nothing to read).</returns>
    /// <exception cref="IOException">It cannot be opened, or it is not a regular file any more.</exception>
    /// <exception cref="UnauthorizedAccessException">Reading it is not allowed.</exception>
    public static FileStream? Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
            return Check(file, kind: null);
        }

        var handle = OpenWithoutWaiting(path);
        try
        {
            return Check(new FileStream(handle, FileAccess.Read, BufferSize), FileStatus.KindOf(handle));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static FileStream? Check(FileStream file, EntryKind? kind)
    {
        string? what = kind switch
        {
            null or EntryKind.RegularFile => null,
            EntryKind.Fifo => "a named pipe (FIFO)",
            EntryKind.Socket => "a socket",
            EntryKind.CharacterDevice or EntryKind.BlockDevice => "a device",
            EntryKind.Directory => "a folder",
            _ => "not a regular file",
        };
        if (what is null && !file.CanSeek)
        {
            what = "a pipe, socket or terminal";
        }

        if (what is not null)
        {
            file.Dispose();
            throw new IOException($"not read: no longer a regular file but {what}.");
        }

        if (file.Length == 0)
        {
            file.Dispose();
            return null;
        }

        return file;
    }

    private static SafeFileHandle OpenWithoutWaiting(string path)
    {
        var descriptor = OpenFile(path, OpenReadOnly | OpenNonBlocking | OpenNoControllingTerminal | OpenCloseOnExec);
        if (descriptor >= 0)
        {
            return new SafeFileHandle(descriptor, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        var message = Marshal.GetPInvokeErrorMessage(errno);
        throw errno switch
        {
            ENOENT or ENOTDIR => new FileNotFoundException(message, path),
            EACCES or EPERM => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);
}
