using System.Runtime.CompilerServices;

namespace PortMismatch.Detection.Internal;

/// <summary>
/// Port sets as 65,536-bit bitmaps (8 KiB each) laid end to end in one array, identical bitmaps stored once.
/// A set is named by the offset of its first word, so membership is one load and a shift.
/// </summary>
internal sealed class PortBitmaps
{
    public const int WordsPerSet = 65536 / 64;

    private readonly ulong[] _words;

    private PortBitmaps(ulong[] words) => _words = words;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(int offset, int port) => (_words[offset + (port >> 6)] & (1UL << port)) != 0;

    /// <summary>Collects bitmaps, deduplicated, and hands out their offsets.</summary>
    public sealed class Builder
    {
        private readonly List<ulong[]> _sets = [];
        private readonly Dictionary<BitmapKey, int> _offsets = [];

        public static ulong[] NewBitmap() => new ulong[WordsPerSet];

        public static void Add(ulong[] bitmap, PortSet ports)
        {
            foreach (var range in ports.Ranges)
            {
                for (int port = range.First; port <= range.Last; port++)
                {
                    bitmap[port >> 6] |= 1UL << port;
                }
            }
        }

        public int Intern(ulong[] bitmap)
        {
            var key = new BitmapKey(bitmap);
            if (!_offsets.TryGetValue(key, out var offset))
            {
                offset = _sets.Count * WordsPerSet;
                _sets.Add(bitmap);
                _offsets.Add(key, offset);
            }

            return offset;
        }

        /// <summary>Gets the bitmap stored at an offset that <see cref="Intern"/> returned.</summary>
        public ulong[] Get(int offset) => _sets[offset / WordsPerSet];

        public PortBitmaps Build()
        {
            var words = new ulong[Math.Max(1, _sets.Count) * WordsPerSet];
            for (var i = 0; i < _sets.Count; i++)
            {
                _sets[i].CopyTo(words, i * WordsPerSet);
            }

            return new PortBitmaps(words);
        }

        private readonly struct BitmapKey(ulong[] words) : IEquatable<BitmapKey>
        {
            private readonly ulong[] _words = words;

            public bool Equals(BitmapKey other) => _words.AsSpan().SequenceEqual(other._words);

            public override bool Equals(object? obj) => obj is BitmapKey other && Equals(other);

            public override int GetHashCode()
            {
                var hash = default(HashCode);
                foreach (var word in _words)
                {
                    hash.Add(word);
                }

                return hash.ToHashCode();
            }
        }
    }
}
