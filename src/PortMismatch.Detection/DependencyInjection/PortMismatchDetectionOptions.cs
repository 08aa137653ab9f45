namespace PortMismatch.Detection;

/// <summary>
/// The detection's settings for dependency injection, bindable from configuration (for example a <c>PortMismatch</c>
/// section of <c>appsettings.json</c>). Validated when the host starts; see <c>AddPortMismatchDetection</c>.
/// </summary>
public sealed class PortMismatchDetectionOptions
{
    /// <summary>
    /// Gets or sets the rules: built-in set names and rule-file paths separated by commas, as <see cref="RuleSets.Parse"/>
    /// reads them (<c>escu</c>, <c>extended,panos-appid</c>, <c>escu,/etc/portmismatch/rules.json</c>); <see langword="null"/>
    /// (the default) for <c>escu</c>, or for the rules given in code by <see cref="PortMismatchDetectionBuilder.UseRules(RuleSet)"/>.
    /// Setting this and <c>UseRules</c> both is an error when the host starts.
    /// </summary>
    public string? Rules { get; set; }

    /// <summary>
    /// Gets or sets the allow-list: a built-in name (<c>benign</c>, <see cref="AllowLists.Benign"/>), the path of an
    /// allow-list file (see <see cref="AllowListJson"/>), or several of them separated by commas (<see cref="AllowLists.Parse"/>);
    /// <see langword="null"/> for none or for the allow-list given in code by <see cref="PortMismatchDetectionBuilder.UseAllowList(Detection.AllowList)"/>.
    /// Setting this and <c>UseAllowList</c> both is an error when the host starts.
    /// </summary>
    public string? AllowList { get; set; }

    /// <summary>Gets or sets the tumbling window of the rows (live sources need one), or <see langword="null"/> for one group per key.</summary>
    public TimeSpan? Window { get; set; }

    /// <summary>Gets or sets how late a record may arrive and still count in its window.</summary>
    public TimeSpan AllowedLateness { get; set; }

    /// <summary>
    /// Gets or sets how long a window may go without a record before it is closed anyway (processing time; see
    /// <see cref="DetectionPipelineOptions.IdleWindowClose"/>); <see langword="null"/> for event time only.
    /// </summary>
    public TimeSpan? IdleWindowClose { get; set; }

    /// <summary>Gets or sets which app values of a record make groups.</summary>
    public AppGrouping Grouping { get; set; } = AppGrouping.MismatchingValues;

    /// <summary>Gets or sets the most groups held in memory before the oldest is emitted early as a partial row.</summary>
    public int MaxGroups { get; set; } = AggregatorOptions.Default.MaxGroups;

    /// <summary>Gets or sets the most windows open at once before the one farthest from event time is emitted early (see <see cref="AggregatorOptions.MaxOpenWindows"/>).</summary>
    public int MaxOpenWindows { get; set; } = AggregatorOptions.Default.MaxOpenWindows;

    /// <summary>Gets or sets how many sources are read at once; <see langword="null"/> for the processor count.</summary>
    public int? MaxDegreeOfParallelism { get; set; }

    /// <summary>Gets or sets how many rejected records per minute are logged (the rest are counted and summarised). Default 10.</summary>
    public int MaxLoggedRejectionsPerMinute { get; set; } = 10;
}
