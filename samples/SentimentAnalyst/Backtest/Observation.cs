namespace SentimentAnalyst.Backtest;

/// <summary>One ticker-day of a cross-section: a signal known at the close of day t and a return over a horizon from it.</summary>
/// <param name="DayIndex">The signal's trading day t.</param>
/// <param name="Ticker">The ticker.</param>
/// <param name="Signal">The signal value.</param>
/// <param name="Return">The raw return over the horizon.</param>
/// <param name="NeutralReturn">The return minus the market's over the same window.</param>
public readonly record struct Observation(int DayIndex, string Ticker, double Signal, double Return, double NeutralReturn);
