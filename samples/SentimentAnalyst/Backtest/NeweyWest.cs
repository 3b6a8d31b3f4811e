namespace SentimentAnalyst.Backtest;

/// <summary>
/// The mean of a time series with a standard error that allows for autocorrelation (Newey and West, 1987: Bartlett
/// weights 1 − j/(L+1) on the autocovariances up to lag L). Daily figures of overlapping multi-day returns are
/// autocorrelated by construction, and so is sentiment; an ordinary standard error would overstate significance.
/// </summary>
public static class NeweyWest
{
    /// <summary>
    /// The lag for <paramref name="count"/> observations of windows <paramref name="overlapDays"/> long: the usual
    /// automatic choice floor(4 (n/100)^(2/9)), and at least the overlap (windows of h days make an MA(h − 1) series).
    /// </summary>
    public static int Lags(int count, int overlapDays = 1)
        => Math.Max(overlapDays - 1, (int)Math.Floor(4 * Math.Pow(count / 100.0, 2.0 / 9)));

    /// <summary>Mean and Newey–West standard error of <paramref name="values"/> with <paramref name="lags"/> lags; NaN error for fewer than 2 values.</summary>
    public static (double Mean, double StandardError) Mean(IReadOnlyList<double> values, int lags)
    {
        int n = values.Count;
        if (n == 0) return (double.NaN, double.NaN);
        double mean = values.Average();
        if (n < 2) return (mean, double.NaN);
        double Autocovariance(int lag)
        {
            double sum = 0;
            for (int t = lag; t < n; t++) sum += (values[t] - mean) * (values[t - lag] - mean);
            return sum / n;
        }
        double longRunVariance = Autocovariance(0);
        for (int j = 1; j <= Math.Min(lags, n - 1); j++) longRunVariance += 2 * (1 - j / (lags + 1.0)) * Autocovariance(j);
        return (mean, Math.Sqrt(Math.Max(0, longRunVariance) / n));
    }
}
