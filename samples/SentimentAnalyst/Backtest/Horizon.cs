namespace SentimentAnalyst.Backtest;

/// <summary>
/// A return window relative to a signal's trading day t: from the close of day t + <see cref="From"/> to the close of day
/// t + <see cref="To"/> (trading days). The same-day window (previous close → this close) is the period the day's tweets
/// were written in, so it measures how tweets react to prices; the forward windows start at the close the signal is
/// known by, so they measure whether tweets predict prices.
/// </summary>
/// <param name="Name">Name for tables and charts.</param>
/// <param name="From">Offset of the close the return starts at.</param>
/// <param name="To">Offset of the close it ends at: the latest price the return reads.</param>
public sealed record Horizon(string Name, int From, int To)
{
    /// <summary>Previous close to this close: the reaction check.</summary>
    public static readonly Horizon SameDay = new("same day", -1, 0);

    /// <summary>This close to the next.</summary>
    public static readonly Horizon NextDay = new("next day", 0, 1);

    /// <summary>This close to the close five trading days later.</summary>
    public static readonly Horizon FiveDays = new("5 days", 0, 5);

    /// <summary>The horizons the back-test reports, in order.</summary>
    public static readonly IReadOnlyList<Horizon> All = [SameDay, NextDay, FiveDays];

    /// <summary>Number of trading days the return spans (overlapping windows of consecutive days share Days − 1 of them).</summary>
    public int Days => To - From;
}
