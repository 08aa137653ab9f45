using System.Runtime.InteropServices;
using System.Text;
using PortMismatch.Detection.Zeek.Internal;

namespace PortMismatch.Detection.Zeek.Tests.Internal;

/// <summary>
/// The word- and block-wide field parsers read past a field's end, but never past its line: a line ends here right before
/// a page that cannot be read (Linux), so a read past it stops the test process.
/// </summary>
public sealed class GuardedLineTests
{
    [Theory]
    [InlineData("1\t2")]
    [InlineData("443\t53")]
    [InlineData("12345678\t1\t87654321")]
    [InlineData("1234567")]
    [InlineData("12\t345")]
    [InlineData("1.2.3.4")]
    [InlineData("1.2.3.4\t5\t6.7.8.9")]
    [InlineData("10.20.30.40\t1")]
    [InlineData("::1\t2")]
    [InlineData("2001:db8::1\t443\tssl")]
    [InlineData("2001:db8:0:0:0:0:0:1")]
    [InlineData("2001:db8:0:0:0:0:0:1\t443\ttcp\tssl\t1234")]
    [InlineData("10.20.30.40\t443\ttcp\tssl\t1\t2\t3\t4\t5\t6\t7\t8\t9")]
    public void Fields_at_the_end_of_a_short_line_are_read_within_it(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        using var guarded = new GuardedBytes(bytes);
        var line = guarded.Span;
        var start = 0;
        var previous = (Start: -1, End: -1);
        foreach (var field in text.Split('\t'))
        {
            var end = start + field.Length;
            if (previous.Start >= 0 && ZeekNumbers.TryParseDigitPair(line, previous.Start, previous.End, start, end, out var first, out var second))
            {
                Assert.Equal(NumberStatus.Ok, ZeekNumbers.TryParseCount(bytes.AsSpan(previous.Start, previous.End - previous.Start), out var expectedFirst));
                Assert.Equal(expectedFirst, first);
                Assert.Equal(NumberStatus.Ok, ZeekNumbers.TryParseCount(bytes.AsSpan(start, field.Length), out var expectedSecond));
                Assert.Equal(expectedSecond, second);
            }

            previous = (start, end);
            var count = ZeekNumbers.TryParseCount(line, start, end, out var value);
            Assert.Equal(ZeekNumbers.TryParseCount(bytes.AsSpan(start, field.Length), out var expected), count);
            Assert.Equal(expected, value);
            Assert.Equal(IPAddressValue.TryParse(bytes.AsSpan(start, field.Length), out var core), IPAddressValue.TryParse(line, start, end - start, out var address));
            Assert.Equal(core, address);
            start = end + 1;
        }
    }

    /// <summary>Bytes that end where an unreadable page begins (on Linux; elsewhere an ordinary array).</summary>
    private sealed unsafe class GuardedBytes : IDisposable
    {
        private const int ProtNone = 0;
        private const int ProtReadWrite = 3;
        private const int MapPrivateAnonymous = 0x22;
        private readonly nint _map;
        private readonly nint _pageSize = Environment.SystemPageSize;
        private readonly byte[]? _array;
        private readonly int _length;

        public GuardedBytes(byte[] bytes)
        {
            _length = bytes.Length;
            if (!OperatingSystem.IsLinux())
            {
                _array = bytes;
                return;
            }

            _map = Mmap(0, (nuint)(2 * _pageSize), ProtReadWrite, MapPrivateAnonymous, -1, 0);
            Assert.NotEqual(-1, _map);
            Assert.Equal(0, Mprotect(_map + _pageSize, (nuint)_pageSize, ProtNone));
            bytes.CopyTo(new Span<byte>((void*)(_map + _pageSize - bytes.Length), bytes.Length));
        }

        public ReadOnlySpan<byte> Span => _array ?? new ReadOnlySpan<byte>((void*)(_map + _pageSize - _length), _length);

        public void Dispose()
        {
            if (_map != 0)
            {
                _ = Munmap(_map, (nuint)(2 * _pageSize));
            }
        }

        [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
        private static extern int Mprotect(nint address, nuint length, int protection);

        [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
        private static extern int Munmap(nint address, nuint length);
    }
}
