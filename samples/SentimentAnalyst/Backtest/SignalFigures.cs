namespace SentimentAnalyst.Backtest;

/// <summary>The figures of one signal at one horizon.</summary>
/// <param name="Signal">"raw" or "de-biased".</param>
/// <param name="Horizon">The return window.</param>
/// <param name="Observations">Ticker-days with both a signal and a return.</param>
/// <param name="Ic">Mean daily rank IC with its Newey–West error.</param>
/// <param name="DailyIc">The daily ICs.</param>
/// <param name="HitRate">Share of ticker-days where sign(signal) = sign(raw return).</param>
/// <param name="NeutralHitRate">The same against the market-neutral return.</param>
/// <param name="LongShort">Mean daily quintile long-short return over the horizon, with its Newey–West error.</param>
/// <param name="DailyLongShort">The daily long-short returns.</param>
public sealed record SignalFigures(string Signal, Horizon Horizon, int Observations, SeriesSummary Ic, IReadOnlyList<(int DayIndex, double Ic)> DailyIc,
    double HitRate, double NeutralHitRate, SeriesSummary LongShort, IReadOnlyList<(int DayIndex, double Return)> DailyLongShort);
