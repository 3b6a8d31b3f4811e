namespace SentimentAnalyst.Backtest;

/// <summary>
/// Calibration of the signal to realised moves: P(up next day | signal) fitted on a fit window (logistic and isotonic),
/// scored on a later test window against the base rate (the fit window's share of up days, a constant forecast).
/// A fit-window day counts only when its outcome (the next close) is inside the window too, so no test-period price
/// is used for fitting.
/// </summary>
/// <param name="FitStart">First day of the fit window.</param>
/// <param name="FitEnd">Last day of the fit window; also the latest close a fitting outcome may read.</param>
/// <param name="TestStart">First day of the test window.</param>
/// <param name="TestEnd">Last day of the test window.</param>
/// <param name="MinIsotonicStepShare">The smallest step of the isotonic fit, as a share of the fit window's points: 2% of
/// StockNet's ~6,000 ticker-days is ~120, a rate within ±0.09 (95%) of the truth near one half; plain PAV gave the most
/// bullish handful of days a step of P(up) = 1.</param>
public sealed record MoveCalibration(DateOnly FitStart, DateOnly FitEnd, DateOnly TestStart, DateOnly TestEnd, double MinIsotonicStepShare = 0.02)
{
    /// <summary>The windows of the issue: fit 2014-01-01 … 2015-07-31, test 2015-08-01 … 2015-12-31.</summary>
    public static readonly MoveCalibration Default = new(new(2014, 1, 1), new(2015, 7, 31), new(2015, 8, 1), new(2015, 12, 31));

    /// <summary>One ticker-day: its signal, the day the outcome is known (the next close), and whether the stock went up.</summary>
    public readonly record struct Point(DateOnly Day, DateOnly OutcomeDay, double Signal, bool Up);

    /// <summary>Fits on the fit window and scores the test window.</summary>
    /// <exception cref="InvalidOperationException">Either window has fewer than 20 points, or the fit window has only up or only down days.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MinIsotonicStepShare"/> is not in [0, 1].</exception>
    public MoveCalibrationResult Evaluate(IReadOnlyList<Point> points, string signalName)
    {
        if (!(MinIsotonicStepShare is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinIsotonicStepShare), MinIsotonicStepShare, "Expected a share of the fit window's points in [0, 1].");
        var fit = points.Where(p => p.Day >= FitStart && p.OutcomeDay <= FitEnd).ToList();
        var test = points.Where(p => p.Day >= TestStart && p.Day <= TestEnd).ToList();
        if (fit.Count < 20 || test.Count < 20)
            throw new InvalidOperationException($"Calibration of the {signalName} signal needs at least 20 ticker-days in each window; the fit window {FitStart:yyyy-MM-dd}…{FitEnd:yyyy-MM-dd} has {fit.Count}, the test window {TestStart:yyyy-MM-dd}…{TestEnd:yyyy-MM-dd} {test.Count}.");
        var fitX = fit.Select(p => p.Signal).ToList();
        var fitY = fit.Select(p => p.Up).ToList();
        double baseRate = fitY.Average(u => u ? 1.0 : 0.0);
        if (baseRate is 0 or 1) throw new InvalidOperationException($"The fit window has only {(baseRate == 1 ? "up" : "down")} days; nothing to calibrate.");
        var logistic = LogisticFit.Fit(fitX, fitY);
        var isotonic = IsotonicRegression.Fit(fitX, fitY, Math.Max(1, (int)Math.Ceiling(MinIsotonicStepShare * fit.Count)));

        var testY = test.Select(p => p.Up).ToList();
        return new MoveCalibrationResult(signalName, fit.Count, test.Count, baseRate, testY.Average(u => u ? 1.0 : 0.0), logistic, isotonic.Steps,
            BinaryCalibration.Compute(test.Select(_ => baseRate).ToList(), testY),
            BinaryCalibration.Compute(test.Select(p => logistic.Predict(p.Signal)).ToList(), testY),
            BinaryCalibration.Compute(test.Select(p => isotonic.Predict(p.Signal)).ToList(), testY));
    }
}

/// <summary>What <see cref="MoveCalibration.Evaluate"/> found for one signal.</summary>
/// <param name="Signal">The signal's name.</param>
/// <param name="FitCount">Ticker-days fitted on.</param>
/// <param name="TestCount">Ticker-days scored.</param>
/// <param name="FitUpRate">Share of up days in the fit window: the base-rate forecast.</param>
/// <param name="TestUpRate">Share of up days in the test window.</param>
/// <param name="Logistic">The fitted logistic curve.</param>
/// <param name="IsotonicSteps">Number of steps of the fitted isotonic curve.</param>
/// <param name="BaseRate">Test calibration of the constant base-rate forecast.</param>
/// <param name="LogisticTest">Test calibration of the logistic fit.</param>
/// <param name="IsotonicTest">Test calibration of the isotonic fit.</param>
public sealed record MoveCalibrationResult(string Signal, int FitCount, int TestCount, double FitUpRate, double TestUpRate,
    LogisticFit Logistic, int IsotonicSteps, BinaryCalibration BaseRate, BinaryCalibration LogisticTest, BinaryCalibration IsotonicTest)
{
    /// <summary>Brier skill of the logistic fit over the base rate: 1 − Brier / Brier(base rate); above 0 is better than the base rate.</summary>
    public double LogisticSkill => 1 - LogisticTest.Brier / BaseRate.Brier;

    /// <summary>Brier skill of the isotonic fit over the base rate.</summary>
    public double IsotonicSkill => 1 - IsotonicTest.Brier / BaseRate.Brier;
}
