namespace SentimentAnalyst.Backtest;

/// <summary>
/// The trading day whose close a tweet can first affect: its time in New York, moved to the next calendar day when it is
/// at or after the 16:00 close, then to the first trading day of the price file on or after that day (weekends, holidays
/// and days missing from the file are skipped). A tweet at 15:59 belongs to today's close, one at 16:00 to tomorrow's.
/// </summary>
public sealed class TradingDayAttribution(TradingCalendar calendar, EasternTime eastern)
{
    /// <summary>The regular close of the New York exchanges, local time.</summary>
    public static readonly TimeOnly Close = new(16, 0);

    /// <summary>The calendar index of the trading day of a tweet posted at <paramref name="utc"/>; -1 when the calendar ends before it.</summary>
    public int DayIndexOf(DateTime utc)
    {
        var local = eastern.FromUtc(utc);
        var day = DateOnly.FromDateTime(local);
        if (TimeOnly.FromDateTime(local) >= Close) day = day.AddDays(1);
        return calendar.FirstOnOrAfter(day);
    }
}
