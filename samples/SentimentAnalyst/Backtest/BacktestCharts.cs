using Samples.Common;
using ScottPlot;

namespace SentimentAnalyst.Backtest;

/// <summary>The back-test's PNG charts: IC by horizon, the cumulative long-short curve and the reliability of P(up).</summary>
public static class BacktestCharts
{
    private static readonly Color[] SignalColors = [Colors.SteelBlue, Colors.DarkOrange];

    /// <summary>Writes the three charts into <paramref name="folder"/> and returns their file names.</summary>
    public static IReadOnlyList<string> Write(BacktestResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        IcByHorizon(result, Path.Combine(folder, "ic-by-horizon.png"));
        LongShortCurve(result, Horizon.NextDay, Path.Combine(folder, "long-short.png"));
        Reliability(result, Path.Combine(folder, "reliability-up.png"));
        return ["ic-by-horizon.png", "long-short.png", "reliability-up.png"];
    }

    /// <summary>Mean daily rank IC per horizon and signal, with 95% Newey–West intervals.</summary>
    public static void IcByHorizon(BacktestResult result, string path)
    {
        var plot = new Plot();
        var signals = result.Figures.Select(f => f.Signal).Distinct().ToArray();
        int groups = Horizon.All.Count, width = signals.Length + 1;
        for (int s = 0; s < signals.Length; s++)
        {
            var bars = Horizon.All.Select((h, g) =>
            {
                var ic = result.Of(signals[s], h).Ic;
                return new Bar { Position = g * width + s, Value = ic.Mean, Error = 1.96 * ic.StandardError, FillColor = SignalColors[s % SignalColors.Length] };
            }).ToArray();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{signals[s]} signal", FillColor = SignalColors[s % SignalColors.Length] });
        }
        plot.Add.HorizontalLine(0, 1, Colors.Gray);
        var ticks = Horizon.All.Select((h, g) => new Tick(g * width + (signals.Length - 1) / 2.0, h.Name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Title("Mean daily rank IC by horizon (bars: 95% Newey-West interval)");
        plot.XLabel("return horizon (same day = the move the tweets saw: reaction)");
        plot.YLabel("rank IC (Spearman across tickers)");
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path, Math.Max(700, 160 * groups + 200), 500);
    }

    /// <summary>Cumulative sum of the daily quintile long-short return at <paramref name="horizon"/>, per signal, by date.</summary>
    public static void LongShortCurve(BacktestResult result, Horizon horizon, string path)
    {
        var plot = new Plot();
        var calendar = result.Prices.Calendar;
        int s = 0;
        foreach (var f in result.Figures.Where(f => f.Horizon == horizon))
        {
            var dates = f.DailyLongShort.Select(d => calendar[d.DayIndex].ToDateTime(TimeOnly.MinValue).ToOADate()).ToArray();
            double sum = 0;
            var cumulative = f.DailyLongShort.Select(d => 100 * (sum += d.Return)).ToArray();
            var line = plot.Add.ScatterLine(dates, cumulative);
            line.Color = SignalColors[s++ % SignalColors.Length];
            line.LineWidth = 2;
            line.LegendText = $"{f.Signal} signal: mean {f.LongShort.Mean * 1e4:+0.0;-0.0;0.0} bp/day, t {f.LongShort.TStatistic:F2}";
        }
        plot.Add.HorizontalLine(0, 1, Colors.Gray);
        plot.Axes.DateTimeTicksBottom();
        plot.Title($"Quintile long-short, {horizon.Name} return, cumulative (equal weights, no costs)");
        plot.YLabel("cumulative sum of daily returns, %");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path, 900, 550);
    }

    /// <summary>Observed share of up days against predicted P(up) in the test window, per signal and fit, with the base rate.</summary>
    public static void Reliability(BacktestResult result, string path)
    {
        var plot = new Plot();
        var all = result.Calibration.SelectMany(m => new[] { m.LogisticTest, m.IsotonicTest, m.BaseRate }).SelectMany(c => c.Bins)
            .SelectMany(b => new[] { b.MeanPredicted, b.ObservedRate }).ToArray();
        double low = Math.Max(0, Math.Floor(all.Min() * 20 - 1) / 20), high = Math.Min(1, Math.Ceiling(all.Max() * 20 + 1) / 20);
        var diagonal = plot.Add.Line(low, low, high, high);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.Color = Colors.Gray;
        diagonal.LegendText = "perfect calibration";
        int s = 0;
        foreach (var m in result.Calibration)
        {
            var color = SignalColors[s++ % SignalColors.Length];
            Curve(plot, m.LogisticTest, $"{m.Signal}, logistic: Brier {m.LogisticTest.Brier:F4}, ECE {m.LogisticTest.Ece:F4}", color, LinePattern.Solid);
            Curve(plot, m.IsotonicTest, $"{m.Signal}, isotonic: Brier {m.IsotonicTest.Brier:F4}, ECE {m.IsotonicTest.Ece:F4}", color, LinePattern.Dotted);
        }
        var b = result.Calibration[0].BaseRate;
        var marker = plot.Add.Marker(b.Bins[0].MeanPredicted, b.Bins[0].ObservedRate, MarkerShape.FilledDiamond, 14, Colors.Black);
        marker.LegendText = $"base rate: Brier {b.Brier:F4}, ECE {b.Ece:F4}";
        plot.Axes.SetLimits(low, high, low, high);
        var c = result.Options.Calibration;
        plot.Title($"P(up next day | signal), fitted to {c.FitEnd:yyyy-MM-dd}, scored {c.TestStart:yyyy-MM-dd}…{c.TestEnd:yyyy-MM-dd}");
        plot.XLabel("predicted P(up), mean per bin (10 equal-count bins)");
        plot.YLabel("observed share of up days");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path, 800, 700);
    }

    private static void Curve(Plot plot, BinaryCalibration calibration, string label, Color color, LinePattern pattern)
    {
        var curve = plot.Add.Scatter(calibration.Bins.Select(b => b.MeanPredicted).ToArray(), calibration.Bins.Select(b => b.ObservedRate).ToArray());
        curve.Color = color;
        curve.LineWidth = 2;
        curve.LinePattern = pattern;
        curve.MarkerSize = 7;
        curve.LegendText = label;
    }

    private static void Save(Plot plot, string path, int width, int height) => AtomicFile.WriteAllBytes(path, plot.GetImageBytes(width, height, ImageFormat.Png));
}
