namespace SentimentAnalyst.Backtest;

/// <summary>
/// A StockNet-shaped folder read and checked: <c>tweets.csv</c> and <c>prices.csv</c>, with prices for every ticker
/// that has tweets.
/// </summary>
/// <param name="Tweets">All tweets, in file order.</param>
/// <param name="Prices">The adjusted closes.</param>
public sealed record StockNetFolder(IReadOnlyList<Tweet> Tweets, PriceTable Prices)
{
    /// <summary>Reads <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">Bad rows (see the readers), or tickers with tweets but no prices (the message names them).</exception>
    public static StockNetFolder Read(string folder)
    {
        var prices = PriceReader.Read(Path.Combine(folder, PriceReader.FileName));
        var tweets = TweetReader.Read(Path.Combine(folder, TweetReader.FileName));
        var unpriced = tweets.GroupBy(t => t.Ticker).Where(g => !prices.Has(g.Key)).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (unpriced.Count > 0)
            throw new InvalidDataException($"{Path.Combine(folder, PriceReader.FileName)} has no prices for {string.Join(", ", unpriced.Select(g => $"{g.Key} ({g.Count():N0} tweets, first on line {g.First().Line} of {TweetReader.FileName})"))}; "
                + $"the back-test needs the prices of every ticker it has tweets for (it has {string.Join(", ", prices.Tickers)}).");
        return new StockNetFolder(tweets, prices);
    }
}
