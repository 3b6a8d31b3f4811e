using SentimentAnalyst.Backtest;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>The back-test's statistics against hand-computed values and known behaviour.</summary>
public class BacktestStatisticsTests
{
    [Fact]
    public void NeweyWestWithoutLagsIsTheOrdinaryErrorAndWidensForAutocorrelatedSeries()
    {
        double[] values = [1, 3, 2, 5, 4];
        var (mean, se) = NeweyWest.Mean(values, lags: 0);
        Assert.Equal(3, mean, 12);
        Assert.Equal(Math.Sqrt(2.0 / 5), se, 12);   // population variance 2, n = 5

        // An AR(1) series with φ = 0.8: its long-run variance is (1 + φ)/(1 − φ) = 9 times the white-noise one.
        var random = new Random(1);
        var ar = new double[20_000];
        for (int t = 1; t < ar.Length; t++) ar[t] = 0.8 * ar[t - 1] + SyntheticMarket.Normal(random);
        var (_, naive) = NeweyWest.Mean(ar, 0);
        var (_, robust) = NeweyWest.Mean(ar, 50);
        Assert.InRange(robust / naive, 2.4, 3.3);   // √((1 + φ)/(1 − φ)) = 3, a little less with a finite Bartlett window
    }

    [Fact]
    public void NeweyWestLagsCoverTheOverlapOfMultiDayReturns()
    {
        Assert.Equal(5, NeweyWest.Lags(500, 1));
        Assert.Equal(5, NeweyWest.Lags(500, 5));
        Assert.Equal(9, NeweyWest.Lags(100, 10));
    }

    [Fact]
    public void IsotonicRegressionPoolsAdjacentViolators()
    {
        // Outcomes by score: 0, 1, 0, 1, 1 → the violating pair (1, 0) pools to 0.5.
        var fit = IsotonicRegression.Fit([1.0, 2, 3, 4, 5], [false, true, false, true, true]);
        Assert.Equal(3, fit.Steps);
        Assert.Equal(0, fit.Predict(1));
        Assert.Equal(0.5, fit.Predict(2));
        Assert.Equal(0.5, fit.Predict(3.5));
        Assert.Equal(1, fit.Predict(4));
        Assert.Equal(0, fit.Predict(-10));
        Assert.Equal(1, fit.Predict(10));
        // Equal scores are pooled first.
        var tied = IsotonicRegression.Fit([1.0, 1, 2, 2], [true, false, true, true]);
        Assert.Equal(0.5, tied.Predict(1));
        Assert.Equal(1, tied.Predict(2));
    }

    [Fact]
    public void IsotonicRegressionWithAMinimumStepPoolsTheEnds()
    {
        // Plain PAV gives the two top scores (both up) a step of 1 and the lowest (down) a step of 0.
        double[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        bool[] y = [false, true, false, true, false, true, true, true];
        var plain = IsotonicRegression.Fit(x, y);
        Assert.Equal(0, plain.Predict(1));
        Assert.Equal(1, plain.Predict(8));
        // With at least 3 points a step: {1,2,3} → 1/3, {4,5,6} → 2/3, and the last two (too few) join them: {4…8} → 4/5.
        var pooled = IsotonicRegression.Fit(x, y, minStepPoints: 3);
        Assert.Equal(2, pooled.Steps);
        Assert.Equal(1.0 / 3, pooled.Predict(1), 12);
        Assert.Equal(0.8, pooled.Predict(8), 12);
        Assert.Equal(0.8, pooled.Predict(4), 12);
        // A minimum above the point count leaves one step: the mean.
        var one = IsotonicRegression.Fit(x, y, minStepPoints: 100);
        Assert.Equal(1, one.Steps);
        Assert.Equal(5.0 / 8, one.Predict(-1), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => IsotonicRegression.Fit(x, y, minStepPoints: 0));
    }

    [Fact]
    public void LogisticFitRecoversItsParameters()
    {
        var random = new Random(4);
        var x = Enumerable.Range(0, 50_000).Select(_ => SyntheticMarket.Normal(random)).ToList();
        var y = x.Select(v => random.NextDouble() < 1 / (1 + Math.Exp(-(0.2 + 0.7 * v)))).ToList();
        var fit = LogisticFit.Fit(x, y);
        Assert.InRange(fit.Intercept, 0.17, 0.23);
        Assert.InRange(fit.Slope, 0.66, 0.74);
        // Separable data stays finite.
        var separable = LogisticFit.Fit([-2.0, -1, 1, 2], [false, false, true, true]);
        Assert.True(double.IsFinite(separable.Slope) && separable.Slope > 0);
    }

    [Fact]
    public void BinaryCalibrationScoresBrierAndEceOverEqualCountBins()
    {
        // Forecasts 0.2 (outcomes 1 of 5 up) and 0.8 (4 of 5 up): perfectly calibrated, Brier = mean p(1 − p) = 0.16.
        double[] p = [0.2, 0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.8, 0.8];
        bool[] up = [true, false, false, false, false, true, true, true, true, false];
        var c = BinaryCalibration.Compute(p, up, bins: 2);
        Assert.Equal(0.16, c.Brier, 12);
        Assert.Equal(0, c.Ece, 12);
        Assert.Equal(2, c.Bins.Count);

        // A constant forecast is one bin, whatever the number asked for; its ECE is |p − rate|.
        var constant = BinaryCalibration.Compute(Enumerable.Repeat(0.5, 10).ToList(), up, bins: 10);
        Assert.Single(constant.Bins);
        Assert.Equal(0.0, constant.Ece, 12);
        var off = BinaryCalibration.Compute(Enumerable.Repeat(0.7, 10).ToList(), up);
        Assert.Equal(0.2, off.Ece, 12);

        // 1,003 distinct forecasts in 10 bins: sizes 100 or 101, none left over.
        var many = BinaryCalibration.Compute(Enumerable.Range(0, 1003).Select(i => i / 1003.0).ToList(), Enumerable.Range(0, 1003).Select(i => i % 2 == 0).ToList());
        Assert.Equal(10, many.Bins.Count);
        Assert.All(many.Bins, b => Assert.InRange(b.Count, 100, 101));
        Assert.Throws<ArgumentException>(() => BinaryCalibration.Compute([1.5], [true]));
    }

    [Fact]
    public void QuintileLongShortTakesTheTopAndBottomFifthAndNeedsFiveNames()
    {
        var day = Enumerable.Range(0, 10).Select(i => new Observation(7, $"T{i}", Signal: i, Return: i * 0.01, NeutralReturn: 0)).ToList();
        var (dayIndex, ls) = Assert.Single(QuintileLongShort.Daily(day));
        Assert.Equal(7, dayIndex);
        Assert.Equal((0.08 + 0.09) / 2 - (0.00 + 0.01) / 2, ls, 12);
        Assert.Empty(QuintileLongShort.Daily(day.Take(4)));
        Assert.Empty(RankIc.Daily(day.Take(4)));
        Assert.Equal(1.0, Assert.Single(RankIc.Daily(day)).Ic, 12);
    }

    [Fact]
    public void MoveCalibrationLeavesOutFitDaysWhoseOutcomeFallsInTheTestWindow()
    {
        var calibration = new MoveCalibration(new(2015, 1, 1), new(2015, 1, 31), new(2015, 2, 1), new(2015, 2, 28));
        var random = new Random(2);
        var points = new List<MoveCalibration.Point>();
        for (var d = new DateOnly(2015, 1, 1); d <= new DateOnly(2015, 2, 27); d = d.AddDays(1))
            for (int k = 0; k < 10; k++)
                points.Add(new(d, d.AddDays(1), SyntheticMarket.Normal(random), random.NextDouble() < 0.5));
        var result = calibration.Evaluate(points, "test");
        // 31 January's outcome is known on 1 February: outside the fit window.
        Assert.Equal(30 * 10, result.FitCount);
        Assert.Equal(27 * 10, result.TestCount);
        Assert.Contains("at least 20", Assert.Throws<InvalidOperationException>(() => calibration.Evaluate(points.Take(5).ToList(), "raw")).Message);
    }
}
