using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek.Tests.Follow;

public sealed class FileIdentityTests
{
    [Fact]
    public void On_Linux_a_file_keeps_its_identity_when_renamed_and_another_file_has_another()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "file identities come from Linux's statx");
        var directory = Directory.CreateTempSubdirectory("identity-").FullName;
        try
        {
            var path = Path.Combine(directory, "conn.log");
            File.WriteAllText(path, "a");
            var before = FileIdentity.Of(path);
            using (var open = File.OpenHandle(path))
            {
                Assert.NotNull(before);
                Assert.Equal(before, FileIdentity.Of(open));
                File.Move(path, path + ".1");
                Assert.Equal(before, FileIdentity.Of(open));
                File.WriteAllText(path, "b");
                Assert.NotEqual(before, FileIdentity.Of(path));
                Assert.Null(FileIdentity.Of(Path.Combine(directory, "missing")));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
