namespace PortMismatch.Detection;

/// <summary>
/// The application-protocol values of a flow record (CIM <c>app</c>): zero, one or several UTF-8 strings that
/// point into the caller's buffer. Empty values are not values: they are never enumerated or counted.
/// </summary>
/// <remarks>
/// A reader that must drop or unescape values copies them into a scratch buffer of its own, joined with a separator byte
/// that none of them contains, and passes that buffer to <see cref="Split(ReadOnlySpan{byte}, byte)"/>.
/// </remarks>
public readonly ref struct AppValues
{
    private readonly ReadOnlySpan<byte> _data;

    // The separator byte plus one; 0 means "a single value".
    private readonly int _separatorPlusOne;

    private AppValues(ReadOnlySpan<byte> data, int separatorPlusOne)
    {
        _data = data;
        _separatorPlusOne = separatorPlusOne;
    }

    /// <summary>No values: no rule can match.</summary>
    public static AppValues None => default;

    /// <summary>One value, taken whole (it may contain any byte, commas included).</summary>
    /// <param name="utf8Value">The value.</param>
    /// <returns>The values.</returns>
    public static AppValues FromValue(ReadOnlySpan<byte> utf8Value) => new(utf8Value, 0);

    /// <summary>Several values joined by <paramref name="separator"/> (Zeek's <c>ssl,http</c>).</summary>
    /// <param name="utf8Values">The joined values.</param>
    /// <param name="separator">The separator byte.</param>
    /// <returns>The values.</returns>
    public static AppValues Split(ReadOnlySpan<byte> utf8Values, byte separator) => new(utf8Values, separator + 1);

    /// <summary>Gets the text of the values as given (joined when split); for the fast paths that test for one short value.</summary>
    internal ReadOnlySpan<byte> Data => _data;

    /// <summary>Gets the separator byte plus one, or 0 for a single value taken whole.</summary>
    internal int SeparatorPlusOne => _separatorPlusOne;

    /// <summary>Gets whether there is no (non-empty) value.</summary>
    public bool IsEmpty
    {
        get
        {
            var e = GetEnumerator();
            return !e.MoveNext();
        }
    }

    /// <summary>Gets the number of (non-empty) values.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var unused in this)
            {
                count++;
            }

            return count;
        }
    }

    /// <summary>Enumerates the non-empty values.</summary>
    /// <returns>The enumerator.</returns>
    public Enumerator GetEnumerator() => new(_data, _separatorPlusOne);

    /// <summary>Enumerates the non-empty values of an <see cref="AppValues"/>.</summary>
    public ref struct Enumerator
    {
        private readonly int _separatorPlusOne;
        private ReadOnlySpan<byte> _rest;
        private bool _done;

        internal Enumerator(ReadOnlySpan<byte> data, int separatorPlusOne)
        {
            _rest = data;
            _separatorPlusOne = separatorPlusOne;
            _done = false;
            Current = default;
        }

        /// <summary>Gets the current value.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>Moves to the next non-empty value.</summary>
        /// <returns>Whether there is one.</returns>
        public bool MoveNext()
        {
            while (!_done)
            {
                ReadOnlySpan<byte> value;
                var at = _separatorPlusOne == 0 ? -1 : _rest.IndexOf((byte)(_separatorPlusOne - 1));
                if (at < 0)
                {
                    value = _rest;
                    _rest = default;
                    _done = true;
                }
                else
                {
                    value = _rest[..at];
                    _rest = _rest[(at + 1)..];
                }

                if (!value.IsEmpty)
                {
                    Current = value;
                    return true;
                }
            }

            return false;
        }
    }
}
