namespace PortMismatch.Detection;

/// <summary>What a <see cref="FirstSeenStore"/> knows of a pair (source, server, port, app) or a server (server, port, app).</summary>
/// <param name="FirstSeenMicroseconds">The earliest record time seen (Unix microseconds).</param>
/// <param name="LastSeenMicroseconds">The latest record time seen (Unix microseconds).</param>
/// <param name="Count">The records counted (the sum of the rows' counts).</param>
/// <param name="DaysSeen">The distinct UTC days of the records' first and last times the rows had.</param>
public readonly record struct FirstSeenEntry(long FirstSeenMicroseconds, long LastSeenMicroseconds, long Count, int DaysSeen);

/// <summary>What <see cref="FirstSeenStore.Observe"/> found for a row's pair before adding the row.</summary>
/// <param name="FirstSeenMicroseconds">The pair's first seen time, the row's own first time included (Unix microseconds).</param>
/// <param name="IsNew">Whether no record of the pair is known from before the row's first time.</param>
/// <param name="EarlierDays">The distinct UTC days before the day of the row's last time on which the pair was seen.</param>
public readonly record struct FirstSeenObservation(long FirstSeenMicroseconds, bool IsNew, int EarlierDays);
