using SentimentAnalyst.Backtest;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>A tweet belongs to the first close it can affect: New York time, 16:00 cutoff, next trading day of the price file.</summary>
public class TradingDayAttributionTests
{
    // January 2015 with Monday 19th (Martin Luther King day) closed, and July 2015 (daylight saving time).
    private static readonly TradingCalendar Calendar = new(
        SyntheticMarket.Weekdays(new DateOnly(2015, 1, 2), new DateOnly(2015, 1, 30), new DateOnly(2015, 1, 19))
            .Concat(SyntheticMarket.Weekdays(new DateOnly(2015, 3, 2), new DateOnly(2015, 3, 13)))
            .Concat(SyntheticMarket.Weekdays(new DateOnly(2015, 7, 1), new DateOnly(2015, 7, 31), new DateOnly(2015, 7, 3))));

    public static TheoryData<string> Zones => new() { "system", "built-in" };

    private static EasternTime Zone(string which) => which == "system" ? EasternTime.Load() : EasternTime.BuiltIn();

    private static DateOnly DayOf(EasternTime eastern, string utc)
    {
        int index = new TradingDayAttribution(Calendar, eastern).DayIndexOf(DateTime.Parse(utc, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal));
        Assert.True(index >= 0, $"{utc} has no trading day");
        return Calendar[index];
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void TweetsAt1559And1601EasternLandOnDifferentDaysInWinterAndSummer(string zone)
    {
        var eastern = Zone(zone);
        // Winter: EST = UTC-5, so 15:59 ET is 20:59Z.
        Assert.Equal(new DateOnly(2015, 1, 14), DayOf(eastern, "2015-01-14T20:59:00Z"));
        Assert.Equal(new DateOnly(2015, 1, 15), DayOf(eastern, "2015-01-14T21:01:00Z"));
        // Exactly 16:00 is the close itself: too late for it.
        Assert.Equal(new DateOnly(2015, 1, 15), DayOf(eastern, "2015-01-14T21:00:00Z"));
        // Summer: EDT = UTC-4, so 15:59 ET is 19:59Z and 20:30Z is already after the close.
        Assert.Equal(new DateOnly(2015, 7, 14), DayOf(eastern, "2015-07-14T19:59:00Z"));
        Assert.Equal(new DateOnly(2015, 7, 15), DayOf(eastern, "2015-07-14T20:01:00Z"));
        Assert.Equal(new DateOnly(2015, 7, 15), DayOf(eastern, "2015-07-14T20:30:00Z"));
        // A UTC-evening tweet is still the same New York afternoon in winter.
        Assert.Equal(new DateOnly(2015, 1, 14), DayOf(eastern, "2015-01-14T20:30:00Z"));
        // After midnight UTC but before the close of that New York day (00:30Z = 19:30 ET the day before: after the close).
        Assert.Equal(new DateOnly(2015, 1, 15), DayOf(eastern, "2015-01-15T00:30:00Z"));
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void AFridayEveningTweetLandsOnMondayOrTheNextTradingDayInTheFile(string zone)
    {
        var eastern = Zone(zone);
        Assert.Equal(new DateOnly(2015, 1, 12), DayOf(eastern, "2015-01-09T23:00:00Z"));   // Friday 18:00 ET → Monday
        Assert.Equal(new DateOnly(2015, 1, 12), DayOf(eastern, "2015-01-10T15:00:00Z"));   // Saturday → Monday
        Assert.Equal(new DateOnly(2015, 1, 20), DayOf(eastern, "2015-01-16T22:00:00Z"));   // Friday evening before a closed Monday → Tuesday
        Assert.Equal(new DateOnly(2015, 7, 6), DayOf(eastern, "2015-07-02T20:30:00Z"));    // Thursday 16:30 ET, Friday 3 July closed → Monday
        Assert.Equal(new DateOnly(2015, 1, 16), DayOf(eastern, "2015-01-16T14:00:00Z"));   // Friday 09:00 ET, before the open: Friday's close
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void DaylightSavingStartsOnTheSecondSundayOfMarch(string zone)
    {
        var eastern = Zone(zone);
        // 20:30Z is 15:30 EST on Friday 6 March 2015 (before the close) but 16:30 EDT on Monday 9 March (after it).
        Assert.Equal(new DateOnly(2015, 3, 6), DayOf(eastern, "2015-03-06T20:30:00Z"));
        Assert.Equal(new DateOnly(2015, 3, 10), DayOf(eastern, "2015-03-09T20:30:00Z"));
    }

    [Fact]
    public void TheBuiltInRulesAgreeWithTheSystemZoneEveryHourOf2014And2015()
    {
        var system = EasternTime.Load();
        Assert.False(system.IsBuiltIn, $"this machine should have America/New_York ({system.Source})");
        var builtIn = EasternTime.BuiltIn();
        for (var utc = new DateTime(2014, 1, 1, 0, 0, 0, DateTimeKind.Utc); utc.Year < 2016; utc = utc.AddMinutes(30))
            Assert.Equal(system.FromUtc(utc), builtIn.FromUtc(utc));
    }

    [Fact]
    public void ATweetAfterTheLastTradingDayHasNone()
    {
        var attribution = new TradingDayAttribution(Calendar, EasternTime.Load());
        Assert.Equal(-1, attribution.DayIndexOf(new DateTime(2015, 7, 31, 21, 0, 0, DateTimeKind.Utc)));   // 17:00 ET on the last day
        Assert.Throws<ArgumentException>(() => attribution.DayIndexOf(new DateTime(2015, 7, 1, 12, 0, 0, DateTimeKind.Local)));
    }
}
