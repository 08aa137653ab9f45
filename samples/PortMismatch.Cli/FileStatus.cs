using System.Runtime.InteropServices;
using System.Text;

namespace PortMismatch.Cli;

/// <summary>What kind of file system entry a path names.</summary>
internal enum EntryKind
{
    RegularFile,
    Directory,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    Other,
}

/// <summary>
/// The identity of a file (device and inode, or its resolved path where the system cannot tell those) and its kind.
/// Two paths with the same identity are the same file: a symbolic link and its target, hard links, a bind mount.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, string? RealPath);

/// <summary>
/// <c>stat</c> for the folder walk: .NET has no API for a file's device and inode or for FIFOs, sockets and devices, so on
/// Linux this calls <c>statx(2)</c> of the C library (glibc 2.28+, musl 1.2.5+), whose buffer has one layout on every
/// architecture, through a function pointer looked up once (the same with NativeAOT, and whatever the C library's file is
/// called). Elsewhere, or where the call is missing or refused, <see cref="TryStat"/> returns <see langword="false"/> and
/// the walk falls back to resolved paths and <see cref="FileSystemInfo"/>.
/// </summary>
internal static unsafe class FileStatus
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;
    private const int ENOSYS = 38;
    private const int EPERM = 1;

    private static readonly delegate* unmanaged<int, byte*, int, uint, StatxBuffer*, int> s_statx = Resolve();
    private static int s_available = s_statx is not null ? 1 : 0;

    /// <summary>Gets whether <see cref="TryStat"/> can tell identities and kinds on this system (so far).</summary>
    public static bool IsAvailable => Volatile.Read(ref s_available) == 1;

    /// <summary>Looks a path up, following symbolic links.</summary>
    /// <returns>False when the system cannot tell (see <see cref="IsAvailable"/>); otherwise true with the result or the error.</returns>
    public static bool TryStat(string path, out FileIdentity identity, out EntryKind kind, out StatError error, out string? message)
    {
        identity = default;
        kind = EntryKind.Other;
        error = StatError.None;
        message = null;
        if (!IsAvailable)
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetByteCount(path);
        Span<byte> name = bytes < 1024 ? stackalloc byte[bytes + 1] : new byte[bytes + 1];
        Encoding.UTF8.GetBytes(path, name);
        name[bytes] = 0;
        StatxBuffer buffer;
        int result;
        fixed (byte* pointer = name)
        {
            Marshal.SetLastSystemError(0);
            result = s_statx(AtFdCwd, pointer, 0, StatxType | StatxIno, &buffer);
        }

        var errno = result == 0 ? 0 : Marshal.GetLastSystemError();
        if (result != 0)
        {
            message = Marshal.GetPInvokeErrorMessage(errno);
            switch (errno)
            {
                case ENOSYS or EPERM:
                    // An old kernel, or a sandbox that filters the call: fall back for the rest of the run.
                    Volatile.Write(ref s_available, 0);
                    return false;
                case ENOENT or ENOTDIR:
                    error = StatError.NotFound;
                    return true;
                case ELOOP:
                    error = StatError.Loop;
                    return true;
                default:
                    error = StatError.Other;
                    return true;
            }
        }

        identity = new FileIdentity(((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor, buffer.Inode, null);
        kind = (buffer.Mode & 0xF000) switch
        {
            0x8000 => EntryKind.RegularFile,
            0x4000 => EntryKind.Directory,
            0x1000 => EntryKind.Fifo,
            0xC000 => EntryKind.Socket,
            0x2000 => EntryKind.CharacterDevice,
            0x6000 => EntryKind.BlockDevice,
            _ => EntryKind.Other,
        };
        return true;
    }

    private static delegate* unmanaged<int, byte*, int, uint, StatxBuffer*, int> Resolve()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // glibc names it libc.so.6 on every architecture; otherwise the runtime probes for "libc" by its own rules.
        foreach (var library in (ReadOnlySpan<string>)["libc.so.6", "libc"])
        {
            if (NativeLibrary.TryLoad(library, out var handle) && NativeLibrary.TryGetExport(handle, "statx", out var statx))
            {
                return (delegate* unmanaged<int, byte*, int, uint, StatxBuffer*, int>)statx;
            }
        }

        return null;
    }

    /// <summary>The fields of <c>struct statx</c> used here, at their offsets (the kernel's layout, the same on every architecture).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(32)]
        public ulong Inode;

        [FieldOffset(136)]
        public uint DeviceMajor;

        [FieldOffset(140)]
        public uint DeviceMinor;
    }
}

/// <summary>Why a path could not be looked up.</summary>
internal enum StatError
{
    None,
    NotFound,
    Loop,
    Other,
}
