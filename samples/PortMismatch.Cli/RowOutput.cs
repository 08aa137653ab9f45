using Microsoft.Win32.SafeHandles;

namespace PortMismatch.Cli;

/// <summary>
/// Where rows go (--out, or standard output), as a stream that keeps the first write failure (a full disk, a closed pipe).
/// That failure is thrown once, which stops the writer; later writes and flushes do nothing, so that disposing the writer
/// does not throw again and the command can still write its summary and then the failure.
/// </summary>
/// <remarks>
/// .NET ignores SIGPIPE, and its console stream also drops the EPIPE error that writes then get, so through it
/// <c>scan | head -1</c> would go on writing into nothing and exit 0. When standard output is a pipe or socket (not
/// seekable), it is written here as a plain file descriptor instead, whose writes report EPIPE. A seekable standard
/// output (a file) keeps the console stream, which writes at the shared file offset
/// (<c>{ portmismatch ...; echo done; } &gt; out</c>).
/// </remarks>
internal sealed class RowOutput : Stream
{
    private const int Epipe = 32; // Linux, macOS and the BSDs
    private const int WindowsBrokenPipe = unchecked((int)0x8007006D); // ERROR_BROKEN_PIPE
    private const int WindowsNoData = unchecked((int)0x800700E8); // ERROR_NO_DATA: the pipe is being closed

    private readonly Stream _inner;
    private readonly string _name;
    private int _disposed;

    private RowOutput(Stream inner, string name)
    {
        _inner = inner;
        _name = name;
    }

    /// <summary>Gets the first failure of a write or flush, if any.</summary>
    public IOException? Failure { get; private set; }

    /// <summary>Gets whether the output failed because its reader went away (EPIPE).</summary>
    public bool Closed => Failure is { } failure && IsClosedPipe(failure);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Creates or truncates <paramref name="path"/>, or opens standard output when it is null.</summary>
    public static RowOutput Open(string? path) => path is null
        ? new RowOutput(OpenStandardOutput(), "standard output")
        : new RowOutput(File.Create(path), path);

    /// <summary>Whether an I/O error says that the reading end of a pipe or socket was closed.</summary>
    public static bool IsClosedPipe(IOException exception)
        => OperatingSystem.IsWindows() ? exception.HResult is WindowsBrokenPipe or WindowsNoData : exception.HResult == Epipe;

    /// <summary>The failure as the last line of a run says it.</summary>
    public string Describe() => Closed
        ? $"output closed ({_name}): not every row was written."
        : $"cannot write rows to {_name}: {Failure?.Message}";

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Failure is not null)
        {
            return;
        }

        try
        {
            _inner.Write(buffer);
        }
        catch (IOException e)
        {
            Failure = e;
            throw;
        }
    }

    public override void Flush()
    {
        if (Failure is not null)
        {
            return;
        }

        try
        {
            _inner.Flush();
        }
        catch (IOException e)
        {
            Failure = e;
            throw;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _inner.Dispose();
            }
            catch (IOException e)
            {
                // A buffered file stream writes its last bytes here.
                Failure ??= e;
            }
        }

        base.Dispose(disposing);
    }

    private static Stream OpenStandardOutput()
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                var descriptor = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
                if (!descriptor.CanSeek)
                {
                    return descriptor;
                }

                descriptor.Dispose();
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // Standard output closed or not a file descriptor: the console stream copes.
            }
        }

        return Console.OpenStandardOutput();
    }
}
