namespace SentimentAnalyst.Backtest;

/// <summary>
/// De-biasing a ticker's signal against its own past: (today − mean) / standard deviation of its previous
/// <see cref="Window"/> signal days, never including today or anything later. Text about a stock "veers to the positive"
/// by different amounts for different stocks; what carries news is a day that is unusual for that stock.
/// </summary>
/// <param name="Window">How many earlier signal days the mean and spread are taken over.</param>
/// <param name="MinHistory">The fewest earlier days needed; before that the de-biased signal is undefined (null).</param>
public sealed record TrailingZScore(int Window = 60, int MinHistory = 20)
{
    /// <summary>The z-score of each value against the values before it (null while fewer than <see cref="MinHistory"/>, or when they are all equal).</summary>
    public double?[] Compute(IReadOnlyList<double> values)
    {
        if (MinHistory < 2 || Window < MinHistory)
            throw new ArgumentException($"Expected 2 ≤ MinHistory ≤ Window; got MinHistory {MinHistory}, Window {Window}.");
        var result = new double?[values.Count];
        for (int t = MinHistory; t < values.Count; t++)
        {
            int start = Math.Max(0, t - Window);
            double mean = 0;
            for (int k = start; k < t; k++) mean += values[k];
            mean /= t - start;
            double variance = 0;
            for (int k = start; k < t; k++) variance += (values[k] - mean) * (values[k] - mean);
            double sd = Math.Sqrt(variance / (t - start - 1));
            result[t] = sd > 0 ? (values[t] - mean) / sd : null;
        }
        return result;
    }
}
