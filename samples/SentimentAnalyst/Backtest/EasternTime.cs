namespace SentimentAnalyst.Backtest;

/// <summary>
/// US Eastern time (New York, daylight saving included), where the exchanges' 16:00 close is defined. It is the system's
/// <c>America/New_York</c> zone (IANA, as on Linux and macOS; <c>Eastern Standard Time</c> on Windows without ICU); a
/// system without either gets the US rules in force since 2007 (second Sunday of March to first Sunday of November, at
/// 02:00 local), and <see cref="Source"/> says so.
/// </summary>
public sealed class EasternTime
{
    private readonly TimeZoneInfo zone;

    private EasternTime(TimeZoneInfo zone, string source)
    {
        this.zone = zone;
        Source = source;
    }

    /// <summary>Where the rules come from, for the console.</summary>
    public string Source { get; }

    /// <summary>True when the built-in rules are used because the system has no New York zone.</summary>
    public bool IsBuiltIn { get; private init; }

    /// <summary>The system's New York zone, or the built-in rules when it has none.</summary>
    public static EasternTime Load()
    {
        foreach (var id in new[] { "America/New_York", "Eastern Standard Time" })
        {
            try
            {
                return new EasternTime(TimeZoneInfo.FindSystemTimeZoneById(id), $"the system's time zone '{id}'");
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
            }
        }
        return BuiltIn();
    }

    /// <summary>The built-in US Eastern rules (valid from 2007 on), whatever the system has.</summary>
    public static EasternTime BuiltIn()
    {
        var rule = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
            new DateTime(2007, 1, 1), DateTime.MaxValue.Date, TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 2, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 11, 1, DayOfWeek.Sunday));
        var zone = TimeZoneInfo.CreateCustomTimeZone("US-Eastern-built-in", TimeSpan.FromHours(-5), "US Eastern (built-in rules)",
            "EST", "EDT", [rule]);
        return new EasternTime(zone, "built-in US Eastern rules since 2007 (the system has no America/New_York time zone)") { IsBuiltIn = true };
    }

    /// <summary>The New York wall-clock time of <paramref name="utc"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="utc"/> is not a UTC time.</exception>
    public DateTime FromUtc(DateTime utc)
    {
        if (utc.Kind != DateTimeKind.Utc) throw new ArgumentException($"Expected a UTC time, got {utc:O} of kind {utc.Kind}.", nameof(utc));
        return TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
    }
}
