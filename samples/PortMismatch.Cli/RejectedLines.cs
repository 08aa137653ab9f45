using System.Globalization;

namespace PortMismatch.Cli;

/// <summary>
/// The rejected-record lines of a live command (<c>listen</c>, <c>follow</c>) on standard error: ten a minute, so that a
/// sender flooding bad records first cannot use up the lines for the run and hide a later problem; the lines not shown are
/// counted, and said when the next minute's first line is written and at the end (<see cref="Flush"/>).
/// </summary>
internal sealed class RejectedLines(TextWriter stderr, bool quiet)
{
    private const int PerMinute = 10;
    private readonly Lock _lock = new();
    private int _shown;
    private long _notShown;
    private long _minuteStart = Environment.TickCount64;

    public void Report(InputDiagnostic diagnostic)
    {
        if (quiet || diagnostic.Outcome != RecordOutcome.Rejected)
        {
            return;
        }

        lock (_lock)
        {
            var now = Environment.TickCount64;
            if (now - _minuteStart >= 60_000)
            {
                _minuteStart = now;
                _shown = 0;
            }

            if (_shown++ < PerMinute)
            {
                WriteNotShown();
                stderr.WriteLine($"  {diagnostic}");
            }
            else
            {
                _notShown++;
            }
        }
    }

    /// <summary>Says how many lines were not shown since the last one written, if any.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            WriteNotShown();
        }
    }

    private void WriteNotShown()
    {
        if (_notShown > 0)
        {
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {_notShown:N0} more rejected records not shown (at most {PerMinute} lines a minute)"));
            _notShown = 0;
        }
    }
}
