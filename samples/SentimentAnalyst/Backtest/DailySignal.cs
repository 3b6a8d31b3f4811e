namespace SentimentAnalyst.Backtest;

/// <summary>
/// One ticker's sentiment on one trading day: the mean of P(Bullish) − P(Bearish) over the day's tweets (those posted
/// after the previous close and before this day's), with the tweet count, and the de-biased value (see
/// <see cref="TrailingZScore"/>) when the ticker has enough past days.
/// </summary>
/// <param name="Ticker">The ticker.</param>
/// <param name="DayIndex">The trading day, as an index into the price table's calendar.</param>
/// <param name="Raw">Mean P(Bullish) − P(Bearish), in [−1, 1].</param>
/// <param name="TweetCount">Number of tweets averaged.</param>
/// <param name="Debiased">(Raw − trailing mean) / trailing standard deviation of the ticker's earlier days; null without enough history.</param>
public sealed record DailySignal(string Ticker, int DayIndex, double Raw, int TweetCount, double? Debiased)
{
    /// <summary>One signal per (ticker, trading day) that has tweets, sorted by ticker then day, de-biased from past days only.</summary>
    public static List<DailySignal> From(IEnumerable<(string Ticker, int DayIndex, TweetScores Scores)> tweets, TrailingZScore debias)
    {
        var result = new List<DailySignal>();
        foreach (var ticker in tweets.GroupBy(t => t.Ticker).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var days = ticker.GroupBy(t => t.DayIndex).OrderBy(g => g.Key)
                .Select(g => (Day: g.Key, Mean: g.Average(t => t.Scores.Tone), Count: g.Count())).ToList();
            var debiased = debias.Compute(days.Select(d => d.Mean).ToList());
            for (int i = 0; i < days.Count; i++)
                result.Add(new DailySignal(ticker.Key, days[i].Day, days[i].Mean, days[i].Count, debiased[i]));
        }
        return result;
    }
}
