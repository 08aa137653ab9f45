namespace PortMismatch.Detection;

/// <summary>A <see cref="FirstSeenStore"/> file could not be opened: it is not a store, damaged, or in use.</summary>
public sealed class FirstSeenStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The store's path.</param>
    /// <param name="reason">Why.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public FirstSeenStoreException(string path, FirstSeenStoreError reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StorePath = path;
        Reason = reason;
    }

    /// <summary>Gets the store's path.</summary>
    public string StorePath { get; }

    /// <summary>Gets why the store could not be opened.</summary>
    public FirstSeenStoreError Reason { get; }
}
