namespace SentimentAnalyst.Backtest;

/// <summary>
/// Returns from adjusted closes over a <see cref="Horizon"/>, and their market-neutral version: minus the equal-weighted
/// mean of every ticker with a return over the same window (the data has no index, so the tickers are the market).
/// A return at day t over a horizon reads the closes of days t + From and t + To and nothing else.
/// </summary>
public sealed class ForwardReturns(PriceTable prices)
{
    private readonly Dictionary<(int Day, Horizon Horizon), double> market = new();

    /// <summary>close(t + To) / close(t + From) − 1; NaN when either close is missing.</summary>
    public double Raw(string ticker, int dayIndex, Horizon horizon)
        => prices.Close(ticker, dayIndex + horizon.To) / prices.Close(ticker, dayIndex + horizon.From) - 1;

    /// <summary>The equal-weighted mean return of the tickers that have one over the window; NaN when none has.</summary>
    public double Market(int dayIndex, Horizon horizon)
    {
        if (market.TryGetValue((dayIndex, horizon), out double cached)) return cached;
        double sum = 0;
        int count = 0;
        foreach (var ticker in prices.Tickers)
        {
            double r = Raw(ticker, dayIndex, horizon);
            if (double.IsNaN(r)) continue;
            sum += r;
            count++;
        }
        return market[(dayIndex, horizon)] = count == 0 ? double.NaN : sum / count;
    }

    /// <summary>The raw return minus the market's over the same window.</summary>
    public double Neutral(string ticker, int dayIndex, Horizon horizon) => Raw(ticker, dayIndex, horizon) - Market(dayIndex, horizon);
}
