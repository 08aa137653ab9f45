using PortMismatch.Detection.Internal;

namespace PortMismatch.Cli;

/// <summary>
/// Reads a pipe, FIFO or device so that cancellation returns at once even while a read waits for bytes: on Unix such a
/// read blocks a thread in <c>read(2)</c> and does not look at the token. Each read goes into a buffer of this stream's
/// own, so a read abandoned by cancellation cannot write into the caller's buffer (a pipe reader's pooled memory) later.
/// </summary>
internal sealed class InterruptibleStream(Stream inner) : ReadOnlyStream(inner)
{
    private byte[]? _buffer = new byte[64 * 1024];

    public override int Read(Span<byte> buffer) => Inner.Read(buffer);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var own = _buffer ?? throw new OperationCanceledException("A read of this stream was abandoned.");
        var reading = Inner.ReadAsync(own.AsMemory(0, Math.Min(buffer.Length, own.Length)), CancellationToken.None).AsTask();
        int read;
        try
        {
            read = await reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The read goes on until bytes come or the writer goes; its buffer is left to it.
            _buffer = null;
            _ = reading.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }

        own.AsSpan(0, read).CopyTo(buffer.Span);
        return read;
    }
}
