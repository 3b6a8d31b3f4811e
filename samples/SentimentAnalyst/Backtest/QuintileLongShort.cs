namespace SentimentAnalyst.Backtest;

/// <summary>
/// The daily quintile long-short return: on each day with at least five tickers, the mean return of the fifth with the
/// highest signal minus that of the fifth with the lowest (⌊n/5⌋ names each side; ties broken by ticker so the result
/// does not depend on input order). Equal weights, no costs: a measure of ordering, not a trading strategy.
/// </summary>
public static class QuintileLongShort
{
    /// <summary>One long-short return per qualifying day, in day order.</summary>
    public static List<(int DayIndex, double Return)> Daily(IEnumerable<Observation> observations)
    {
        var result = new List<(int, double)>();
        foreach (var day in observations.GroupBy(o => o.DayIndex).OrderBy(g => g.Key))
        {
            var ranked = day.OrderBy(o => o.Signal).ThenBy(o => o.Ticker, StringComparer.Ordinal).ToArray();
            int k = ranked.Length / 5;
            if (k == 0) continue;
            double low = ranked.Take(k).Average(o => o.Return), high = ranked.Skip(ranked.Length - k).Average(o => o.Return);
            result.Add((day.Key, high - low));
        }
        return result;
    }
}
