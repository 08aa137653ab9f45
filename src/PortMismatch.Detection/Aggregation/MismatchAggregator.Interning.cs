using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection;

// Interning: app values as ids in the app table, and what happens when it is full.
public sealed partial class MismatchAggregator
{
    /// <summary>The id in the app table of one spelling of a rule-set app name, with that spelling's key words.</summary>
    private readonly record struct ShortAppId(ulong Raw0, ulong Raw1, int Length, int AppId);

    private void ForgetAppIds()
    {
        _lastApp = [];
        Array.Clear(_appIdsByName);
    }

    private bool TryMakeRoomForApp(ReadOnlySpan<byte> value, out int appId)
    {
        Drain();
        AppTableFlushes++;
        foreach (var table in OpenTablesInOrder())
        {
            foreach (var (key, stats) in table.Groups())
            {
                Emit(table.WindowStart, key, stats, partial: true, table.IsLate);
                _earlyEmissions++;
            }

            // Without windows the one table stays as it is, empty: callers hold it for the record in hand. A window's table
            // is closed unless it is that record's (nothing is queued: drained above).
            _groupCount -= table.Count;
            if (ReferenceEquals(table, _onlyTable))
            {
                table.Clear();
            }
            else
            {
                Emptied(table, into: null);
            }
        }

        _filled.Clear();
        _apps.Clear();
        ForgetAppIds();
        return _apps.TryIntern(value, out appId);
    }

    private int Intern(ReadOnlySpan<byte> value)
    {
        if (_apps.TryIntern(value, out var id) || TryMakeRoomForApp(value, out id))
        {
            return id;
        }

        throw new InvalidOperationException("An app value is larger than MaxAppBytes.");
    }
}
