namespace SentimentAnalyst.Backtest;

/// <summary>Everything the back-test found.</summary>
/// <param name="Prices">The prices it ran on.</param>
/// <param name="Options">The options it ran with.</param>
/// <param name="Signals">The daily signals.</param>
/// <param name="Figures">Figures per signal and horizon.</param>
/// <param name="Calibration">P(up next day | signal) per signal.</param>
/// <param name="Direction">StockNet-protocol direction accuracy per signal.</param>
public sealed record BacktestResult(PriceTable Prices, BacktestOptions Options, IReadOnlyList<DailySignal> Signals, IReadOnlyList<SignalFigures> Figures,
    IReadOnlyList<MoveCalibrationResult> Calibration, IReadOnlyList<DirectionResult> Direction)
{
    /// <summary>The figures of <paramref name="signal"/> at <paramref name="horizon"/>.</summary>
    public SignalFigures Of(string signal, Horizon horizon) => Figures.Single(f => f.Signal == signal && f.Horizon == horizon);

    /// <summary>Ticker-days with tweets but no price that day (before a listing, say): in no figure.</summary>
    public int SignalDaysWithoutPrice => Signals.Count(s => double.IsNaN(Prices.Close(s.Ticker, s.DayIndex)));
}
