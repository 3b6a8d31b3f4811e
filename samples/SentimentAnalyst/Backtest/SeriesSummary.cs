namespace SentimentAnalyst.Backtest;

/// <summary>The mean of a daily series with its Newey–West standard error, t-statistic and 95% interval.</summary>
/// <param name="Count">Number of days.</param>
/// <param name="Mean">Mean over the days.</param>
/// <param name="StandardError">Newey–West standard error of the mean.</param>
/// <param name="Lags">Newey–West lags used.</param>
public sealed record SeriesSummary(int Count, double Mean, double StandardError, int Lags)
{
    /// <summary>Mean / standard error.</summary>
    public double TStatistic => Mean / StandardError;

    /// <summary>Lower end of the 95% interval (normal approximation).</summary>
    public double Low95 => Mean - 1.96 * StandardError;

    /// <summary>Upper end of the 95% interval.</summary>
    public double High95 => Mean + 1.96 * StandardError;

    /// <summary>True when the 95% interval holds <paramref name="value"/>.</summary>
    public bool Covers(double value) => Low95 <= value && value <= High95;

    /// <summary>Summarises <paramref name="daily"/> (in day order) for returns <paramref name="horizonDays"/> long.</summary>
    public static SeriesSummary Of(IReadOnlyList<double> daily, int horizonDays)
    {
        int lags = NeweyWest.Lags(daily.Count, horizonDays);
        var (mean, se) = NeweyWest.Mean(daily, lags);
        return new SeriesSummary(daily.Count, mean, se, lags);
    }
}
