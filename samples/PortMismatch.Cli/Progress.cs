using System.Globalization;

namespace PortMismatch.Cli;

/// <summary>A progress line on standard error, only when it is a terminal and --quiet is off: bytes done of total, MB/s, records/s.</summary>
internal sealed class Progress : IDisposable
{
    private readonly Timer? _timer;
    private readonly TextWriter _stderr;
    private readonly long _total;
    private readonly ScanCommand.Run _run;
    private readonly Func<long> _records;
    private readonly DateTime _start = DateTime.UtcNow;
    private bool _shown;

    private Progress(TextWriter stderr, long total, ScanCommand.Run run, Func<long> records, bool enabled)
    {
        _stderr = stderr;
        _total = total;
        _run = run;
        _records = records;
        if (enabled)
        {
            _timer = new Timer(_ => Show(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(250));
        }
    }

    public static Progress Start(ScanOptions options, TextWriter stderr, List<Input> inputs, ScanCommand.Run run, Func<long> records)
        => new(stderr, inputs.Sum(i => Math.Max(0, i.Length)), run, records, !options.Quiet && !Console.IsErrorRedirected);

    public static void ClearLine(TextWriter stderr)
    {
        if (!Console.IsErrorRedirected)
        {
            stderr.Write("\r\u001b[K");
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        if (_shown)
        {
            lock (_stderr)
            {
                ClearLine(_stderr);
            }
        }
    }

    private void Show()
    {
        var done = _run.BytesRead;
        var seconds = Math.Max(0.001, (DateTime.UtcNow - _start).TotalSeconds);
        var fraction = _total > 0 ? Math.Min(1, (double)done / _total) : 0;
        var bar = new string('#', (int)(fraction * 30)).PadRight(30, '.');
        lock (_stderr)
        {
            _shown = true;
            _stderr.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{bar}] {fraction:P0} {done / 1e6:F1} of {_total / 1e6:F1} MB, {done / 1e6 / seconds:F1} MB/s, {_records() / seconds:N0} records/s \u001b[K"));
        }
    }
}
