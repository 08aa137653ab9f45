namespace PortMismatch.Cli.Tests;

/// <summary><see cref="FileStatus"/>: what a <c>statx</c> result may be trusted for.</summary>
public sealed class FileStatusTests
{
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxIno = 0x100;

    [Fact]
    public void A_result_without_the_inode_in_its_mask_is_not_an_identity()
    {
        // A file system that does not report inodes leaves stx_ino at 0: taken as an identity, every file after the first
        // of such a folder would be "the same file" and left out.
        var buffer = new FileStatus.StatxBuffer { Mask = StatxType | StatxMode, Mode = 0x81A4, Inode = 0, DeviceMajor = 0, DeviceMinor = 42 };

        Assert.False(FileStatus.TryDecode(buffer, out _, out _));
    }

    [Fact]
    public void A_result_without_the_type_in_its_mask_is_not_used()
    {
        var buffer = new FileStatus.StatxBuffer { Mask = StatxIno, Mode = 0, Inode = 7, DeviceMajor = 8, DeviceMinor = 1 };

        Assert.False(FileStatus.TryDecode(buffer, out _, out _));
    }

    [Fact]
    public void A_result_with_type_and_inode_gives_the_kind_and_the_device_and_inode()
    {
        var buffer = new FileStatus.StatxBuffer { Mask = StatxType | StatxMode | StatxIno, Mode = 0x11B6, Inode = 7, DeviceMajor = 8, DeviceMinor = 1 };

        Assert.True(FileStatus.TryDecode(buffer, out var identity, out var kind));
        Assert.Equal(EntryKind.Fifo, kind);
        Assert.Equal(new FileIdentity((8UL << 32) | 1, 7, null), identity);
    }

    [Fact]
    public void A_missing_path_is_not_found_and_leaves_the_call_in_use()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"portmismatch-missing-{Guid.NewGuid():N}", "conn.log");

        Assert.True(FileStatus.TryStat(missing, out _, out _, out var error, out var message));
        Assert.Equal(StatError.NotFound, error);
        Assert.Equal("No such file or directory", message);
        Assert.True(FileStatus.IsAvailable);
    }
}
