namespace PortMismatch.Cli.Tests;

/// <summary>
/// Where this process's threads wait on a FIFO, read from <c>/proc/self/task</c> (Linux): in <c>open(2)</c> for the other
/// end, or in <c>read(2)</c> for bytes. A test that cancels "a scan that waits" waits for this first; otherwise the
/// cancellation can come before the scan gets there, and the test passes without testing the wait.
/// </summary>
internal static class FifoWaits
{
    // The kernel function a thread sleeps in (wchan), as kernels of the last years name it.
    private static readonly string[] OpenWaits = ["wait_for_partner", "fifo_open"];
    private static readonly string[] ReadWaits = ["anon_pipe_read", "pipe_read", "pipe_wait", "pipe_wait_readable"];

    /// <summary>Gets the ids of the threads waiting in <c>open(2)</c> of a FIFO for its other end.</summary>
    public static HashSet<string> ThreadsOpening()
    {
        var threads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (OpenWaits.Contains(Read(Path.Combine(task, "wchan"))))
            {
                threads.Add(Path.GetFileName(task));
            }
        }

        return threads;
    }

    /// <summary>Whether a thread waits in <c>read(2)</c> of <paramref name="fifo"/> (its first argument is a descriptor of it).</summary>
    public static bool SomeThreadReads(string fifo)
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!ReadWaits.Contains(Read(Path.Combine(task, "wchan"))))
            {
                continue;
            }

            // "<syscall number> <arg0> <arg1> ...": arg0 of read(2) is the descriptor.
            var syscall = Read(Path.Combine(task, "syscall")).Split(' ');
            if (syscall.Length > 1 && syscall[1].StartsWith("0x", StringComparison.Ordinal)
                && new FileInfo($"/proc/self/fd/{Convert.ToInt64(syscall[1], 16)}").LinkTarget == fifo)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, looking every few milliseconds; fails the test after <see cref="CliProcess.Patience"/>.</summary>
    public static Task Until(Func<bool> condition, string what)
        => Poll.UntilAsync(condition, () => $"no thread {what}", CliProcess.Patience);

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The thread ended meanwhile.
            return string.Empty;
        }
    }
}
