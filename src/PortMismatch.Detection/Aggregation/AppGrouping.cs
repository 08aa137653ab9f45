namespace PortMismatch.Detection;

/// <summary>Which app values of a selected record get a group.</summary>
public enum AppGrouping
{
    /// <summary>Only the values that are mismatches themselves: an <c>http,ssl</c> record on 8080 gives a row for ssl only. The default.</summary>
    MismatchingValues = 0,

    /// <summary>
    /// Every value of a selected record, as tstats' <c>by</c> does literally: the <c>http,ssl</c> record on 8080 gives rows for
    /// http (with no rule) and ssl.
    /// </summary>
    AllValues = 1,
}
