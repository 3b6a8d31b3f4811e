namespace SentimentAnalyst.Backtest;

/// <summary>
/// Drops exact repeats of a text for the same ticker (retweets, bots: about 18% of StockNet), keeping the earliest, so that
/// one message pasted fifty times counts once in a day's signal. The same text for two tickers counts for both.
/// </summary>
public static class RepeatedTweets
{
    /// <summary>The tweets without repeats, earliest first (ties in time keep file order).</summary>
    public static List<Tweet> Drop(IEnumerable<Tweet> tweets)
    {
        var seen = new HashSet<(string Ticker, string Text)>();
        return tweets.OrderBy(t => t.CreatedUtc).ThenBy(t => t.Line).Where(t => seen.Add((t.Ticker, t.Text))).ToList();
    }
}
