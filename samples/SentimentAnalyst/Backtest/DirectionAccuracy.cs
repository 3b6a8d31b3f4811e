namespace SentimentAnalyst.Backtest;

/// <summary>
/// Next-day direction accuracy under StockNet's protocol (Xu and Cohen, 2018): test days 2015-10-01 … 2015-12-31, moves
/// between −0.5% and +0.55% dropped as too small to call, up predicted when the signal is above zero. Their best model
/// reached 58.2% from five days of tweets and prices; always predicting up is the floor to beat.
/// </summary>
/// <param name="Start">First test day.</param>
/// <param name="End">Last test day.</param>
/// <param name="DownAtMost">A next-day return at or below this is a down move.</param>
/// <param name="UpAbove">A next-day return above this is an up move.</param>
public sealed record DirectionAccuracy(DateOnly Start, DateOnly End, double DownAtMost = -0.005, double UpAbove = 0.0055)
{
    /// <summary>StockNet's test window and thresholds.</summary>
    public static readonly DirectionAccuracy StockNet = new(new(2015, 10, 1), new(2015, 12, 31));

    /// <summary>The accuracy of sign(signal) and of always predicting up over the days in the window with a clear move.</summary>
    public DirectionResult Evaluate(IEnumerable<(DateOnly Day, double Signal, double NextDayReturn)> points, string signalName)
    {
        var called = points.Where(p => p.Day >= Start && p.Day <= End && (p.NextDayReturn <= DownAtMost || p.NextDayReturn > UpAbove)).ToList();
        if (called.Count == 0) return new DirectionResult(signalName, 0, double.NaN, double.NaN);
        double accuracy = called.Average(p => (p.Signal > 0) == (p.NextDayReturn > 0) ? 1.0 : 0.0);
        double alwaysUp = called.Average(p => p.NextDayReturn > 0 ? 1.0 : 0.0);
        return new DirectionResult(signalName, called.Count, accuracy, alwaysUp);
    }
}

/// <summary>What <see cref="DirectionAccuracy.Evaluate"/> found.</summary>
/// <param name="Signal">The signal's name.</param>
/// <param name="Count">Ticker-days with a clear move in the window.</param>
/// <param name="Accuracy">Share where sign(signal) called the move.</param>
/// <param name="AlwaysUpAccuracy">Share of up moves: the accuracy of always saying up.</param>
public sealed record DirectionResult(string Signal, int Count, double Accuracy, double AlwaysUpAccuracy);
