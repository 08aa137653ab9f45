using System.IO.Compression;
using System.Text;
using PortMismatch.Detection.TestSupport;

namespace PortMismatch.Detection.Zeek.Tests;

/// <summary>The shared gzip cases (<see cref="GzipCases"/> in PortMismatch.Detection.TestSupport) are the shapes they are named, and no two are the same file.</summary>
public sealed class GzipCasesTests
{
    private static readonly byte[] First = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $"1700000000.{i:D6}\tC{i}\t10.0.0.1\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl\n")));
    private static readonly byte[] Second = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(200, 200).Select(i => $"1700000000.{i:D6}\tC{i}\t10.0.0.1\t{40000 + i}\t192.0.2.1\t4444\ttcp\tssl\n")));

    private static byte[] InflateRaw(ReadOnlySpan<byte> deflate)
    {
        using var inflater = new DeflateStream(new MemoryStream(deflate.ToArray()), CompressionMode.Decompress);
        var output = new MemoryStream();
        inflater.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public void No_two_cases_are_the_same_file()
    {
        var names = GzipCases.ValidNames.Concat(GzipCases.DamagedNames).ToArray();
        var files = names.Select(name => GzipCases.Make(name, First, 200, Second, 200).Bytes).ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            for (var j = i + 1; j < names.Length; j++)
            {
                Assert.False(files[i].AsSpan().SequenceEqual(files[j]), $"{names[i]} and {names[j]} are the same {files[i].Length} bytes");
            }
        }
    }

    [Fact]
    public void After_a_full_flush_the_data_inflates_on_its_own_and_after_a_sync_flush_it_refers_to_the_first_part()
    {
        var full = GzipCases.Member(First, Second, fullFlush: true, out var fullEnd);
        var sync = GzipCases.Member(First, Second, fullFlush: false, out var syncEnd);

        // Both flushes end in an empty stored block, and up to there the two members are the same bytes.
        Assert.Equal([0x00, 0x00, 0xFF, 0xFF], full[(fullEnd - 4)..fullEnd]);
        Assert.Equal([0x00, 0x00, 0xFF, 0xFF], sync[(syncEnd - 4)..syncEnd]);
        Assert.Equal(full[..fullEnd], sync[..syncEnd]);

        // What follows a full flush needs nothing before it; what follows a sync flush copies strings of the first part.
        Assert.Equal(Second, InflateRaw(full.AsSpan(fullEnd, full.Length - fullEnd - 8)));
        Assert.Throws<InvalidDataException>(() => InflateRaw(sync.AsSpan(syncEnd, sync.Length - syncEnd - 8)));
    }
}
