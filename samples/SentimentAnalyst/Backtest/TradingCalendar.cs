namespace SentimentAnalyst.Backtest;

/// <summary>
/// The trading days of a price file, in increasing order: every date on which any ticker has a price. Days are addressed
/// by their index, so "the next trading day" is index + 1 whatever weekends and holidays lie between.
/// </summary>
public sealed class TradingCalendar
{
    private readonly DateOnly[] days;
    private readonly Dictionary<DateOnly, int> indexOf;

    /// <summary>The calendar of <paramref name="days"/> (sorted and de-duplicated here).</summary>
    /// <exception cref="ArgumentException">No days.</exception>
    public TradingCalendar(IEnumerable<DateOnly> days)
    {
        this.days = days.Distinct().Order().ToArray();
        if (this.days.Length == 0) throw new ArgumentException("A trading calendar needs at least one day.", nameof(days));
        indexOf = this.days.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
    }

    /// <summary>Number of trading days.</summary>
    public int Count => days.Length;

    /// <summary>The day at <paramref name="index"/>.</summary>
    public DateOnly this[int index] => days[index];

    /// <summary>The first trading day.</summary>
    public DateOnly First => days[0];

    /// <summary>The last trading day.</summary>
    public DateOnly Last => days[^1];

    /// <summary>The index of <paramref name="day"/>, or -1 when it is not a trading day.</summary>
    public int IndexOf(DateOnly day) => indexOf.TryGetValue(day, out int i) ? i : -1;

    /// <summary>The index of the first trading day on or after <paramref name="day"/>, or -1 when the calendar ends before it.</summary>
    public int FirstOnOrAfter(DateOnly day)
    {
        int i = Array.BinarySearch(days, day);
        if (i < 0) i = ~i;
        return i < days.Length ? i : -1;
    }
}
