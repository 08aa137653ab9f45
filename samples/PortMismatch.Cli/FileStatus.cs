using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

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
/// architecture. Where the call is missing (not Linux, an older C library) or refused (a sandbox that filters it),
/// <see cref="TryStat"/> returns <see langword="false"/> and the walk falls back to resolved paths and
/// <see cref="FileSystemInfo"/>; <see cref="UnavailableReason"/> then says why.
/// </summary>
internal static partial class FileStatus
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;
    private const int ENOSYS = 38;
    private const int EPERM = 1;

    private static string? s_unavailableReason = OperatingSystem.IsLinux() ? null : "not Linux";

    /// <summary>Gets whether <see cref="TryStat"/> can tell identities and kinds on this system (so far).</summary>
    public static bool IsAvailable => Volatile.Read(ref s_unavailableReason) is null;

    /// <summary>Gets why <see cref="TryStat"/> cannot tell, or <see langword="null"/> while it can.</summary>
    public static string? UnavailableReason => Volatile.Read(ref s_unavailableReason);

    /// <summary>Looks a path up, following symbolic links.</summary>
    /// <returns>
    /// False when the system cannot tell (see <see cref="IsAvailable"/>), or cannot tell this file's kind and inode (a file
    /// system that does not report them); otherwise true with the result or the error.
    /// </returns>
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

        if (!Call(AtFdCwd, path, 0, StatxType | StatxIno, out var buffer, out var errno))
        {
            message = Marshal.GetPInvokeErrorMessage(errno);
            switch (errno)
            {
                case ENOSYS or EPERM:
                    // An old kernel, or a sandbox that filters the call: fall back for the rest of the run.
                    MakeUnavailable($"statx: {message}");
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

        return TryDecode(buffer, out identity, out kind);
    }

    /// <summary>Tells the kind of an open file.</summary>
    /// <returns>The kind, or <see langword="null"/> when the system cannot tell.</returns>
    public static EntryKind? KindOf(SafeFileHandle file)
    {
        if (!IsAvailable)
        {
            return null;
        }

        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return Call((int)file.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxType, out var buffer, out _) && (buffer.Mask & StatxType) != 0
                ? KindOf(buffer.Mode)
                : null;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Turns the call off with a reason, as a refusal does, or on again with <see langword="null"/> (for tests of the fallback).</summary>
    internal static void SetUnavailableReason(string? reason) => Volatile.Write(ref s_unavailableReason, reason);

    /// <summary>
    /// Reads the kind and identity from a <c>statx</c> result. A file system need not fill every field asked for: without
    /// the type or the inode in <see cref="StatxBuffer.Mask"/> the fields are not to be used (an inode of 0 for every file
    /// would make them all one file), and the caller falls back to the file's path for this file.
    /// </summary>
    internal static bool TryDecode(in StatxBuffer buffer, out FileIdentity identity, out EntryKind kind)
    {
        if ((buffer.Mask & (StatxType | StatxIno)) != (StatxType | StatxIno))
        {
            identity = default;
            kind = EntryKind.Other;
            return false;
        }

        identity = new FileIdentity(((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor, buffer.Inode, null);
        kind = KindOf(buffer.Mode);
        return true;
    }

    private static EntryKind KindOf(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => EntryKind.RegularFile,
        0x4000 => EntryKind.Directory,
        0x1000 => EntryKind.Fifo,
        0xC000 => EntryKind.Socket,
        0x2000 => EntryKind.CharacterDevice,
        0x6000 => EntryKind.BlockDevice,
        _ => EntryKind.Other,
    };

    /// <summary>Calls <c>statx</c>: false with its errno when it fails (ENOSYS where the C library has no statx).</summary>
    private static bool Call(int directory, string path, int flags, uint mask, out StatxBuffer buffer, out int errno)
    {
        try
        {
            var failed = Statx(directory, path, flags, mask, out buffer) != 0;
            errno = failed ? Marshal.GetLastPInvokeError() : 0;
            return !failed;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            MakeUnavailable("the C library has no statx");
            buffer = default;
            errno = ENOSYS;
            return false;
        }
    }

    private static void MakeUnavailable(string reason) => Interlocked.CompareExchange(ref s_unavailableReason, reason, null);

    // errno is read by the generated stub right after the call (SetLastError), before the runtime's own code can change it.
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>The fields of <c>struct statx</c> used here, at their offsets (the kernel's layout, the same on every architecture).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        /// <summary>Which fields the file system filled in (<c>stx_mask</c>).</summary>
        [FieldOffset(0)]
        public uint Mask;

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
