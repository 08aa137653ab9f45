using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PortMismatch.Detection.Zeek.Internal;

/// <summary>
/// Which file a path or an open handle is, whatever its name: the device and inode (Linux, from <c>statx</c>). A renamed
/// file keeps them, so a follower can tell a rotated conn.log from the new one. Where <c>statx</c> is not available
/// (macOS, Windows, an old C library) there is no identity and the follower compares the files' first bytes instead.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxIno = 0x100;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Gets the identity of an open file, or null where there is none.</summary>
    public static FileIdentity? Of(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Query((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Gets the identity of the file a path names (following links), or null when it does not exist or there is none.</summary>
    public static FileIdentity? Of(string path) => Query(AtFdCwd, path, 0);

    /// <summary>Gets whether identities can be had on this machine.</summary>
    public static bool IsAvailable => !Volatile.Read(ref s_unavailable);

    private static FileIdentity? Query(int directory, string path, int flags)
    {
        if (Volatile.Read(ref s_unavailable))
        {
            return null;
        }

        var buffer = new StatxBuffer();
        try
        {
            if (Statx(directory, path, flags, StatxIno, ref buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_unavailable, true);
            return null;
        }

        // The kernel's st_dev is makedev(major, minor); only equality matters here, so the pair is packed as is.
        return new FileIdentity(((ulong)buffer.DevMajor << 32) | buffer.DevMinor, buffer.Inode);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, ref StatxBuffer buffer);

    /// <summary>struct statx: the same layout on every Linux architecture (256 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(32)]
        public ulong Inode;

        [FieldOffset(136)]
        public uint DevMajor;

        [FieldOffset(140)]
        public uint DevMinor;
    }
}
