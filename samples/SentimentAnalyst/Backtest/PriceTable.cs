namespace SentimentAnalyst.Backtest;

/// <summary>
/// Daily adjusted closes of several tickers on one <see cref="TradingCalendar"/>: <see cref="Close"/> is NaN where a ticker
/// has no price that day (before its listing, say), so every figure built on it must skip such days rather than guess.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, double[]> closes;
    private readonly Dictionary<string, DateOnly> firstDays = new(StringComparer.Ordinal);

    /// <summary>Builds the table from each ticker's (day, adjusted close) series; the calendar is the union of their days.</summary>
    /// <exception cref="ArgumentException">No tickers.</exception>
    public PriceTable(IReadOnlyDictionary<string, IReadOnlyList<(DateOnly Day, double Close)>> series)
    {
        if (series.Count == 0) throw new ArgumentException("A price table needs at least one ticker.", nameof(series));
        Calendar = new TradingCalendar(series.Values.SelectMany(s => s.Select(p => p.Day)));
        closes = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (ticker, points) in series)
        {
            var row = Enumerable.Repeat(double.NaN, Calendar.Count).ToArray();
            foreach (var (day, close) in points) row[Calendar.IndexOf(day)] = close;
            closes[ticker] = row;
            firstDays[ticker] = points.Min(p => p.Day);
        }
        Tickers = closes.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The trading days.</summary>
    public TradingCalendar Calendar { get; }

    /// <summary>The tickers, sorted.</summary>
    public IReadOnlyList<string> Tickers { get; }

    /// <summary>Each ticker's first day with a price.</summary>
    public IReadOnlyDictionary<string, DateOnly> FirstDay => firstDays;

    /// <summary>True when the table has prices for <paramref name="ticker"/>.</summary>
    public bool Has(string ticker) => closes.ContainsKey(ticker);

    /// <summary>The adjusted close of <paramref name="ticker"/> on the day at <paramref name="dayIndex"/>; NaN when there is none (or the index is outside the calendar).</summary>
    public double Close(string ticker, int dayIndex)
        => (uint)dayIndex < (uint)Calendar.Count ? closes[ticker][dayIndex] : double.NaN;
}
