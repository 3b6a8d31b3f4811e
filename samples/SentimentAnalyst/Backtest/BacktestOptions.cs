namespace SentimentAnalyst.Backtest;

/// <summary>What the back-test is run with; the defaults are those of the sample.</summary>
/// <param name="Debias">How the de-biased signal is made.</param>
/// <param name="Calibration">The fit and test windows of P(up next day | signal).</param>
/// <param name="Direction">The direction-accuracy protocol (StockNet's).</param>
public sealed record BacktestOptions(TrailingZScore Debias, MoveCalibration Calibration, DirectionAccuracy Direction)
{
    /// <summary>60-day trailing z-score (20 days at least), the calibration windows, StockNet's protocol.</summary>
    public static readonly BacktestOptions Default = new(new TrailingZScore(), MoveCalibration.Default, DirectionAccuracy.StockNet);
}
