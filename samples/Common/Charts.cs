using System.Globalization;
using Microsoft.ML.Lora;
using ScottPlot;

namespace Samples.Common;

/// <summary>The PNG charts the samples write: training curve, confusion matrix and reliability diagram (ScottPlot, headless).</summary>
public static class Charts
{
    private const int Width = 900, Height = 600;

    /// <summary>
    /// Training loss of every step (faint), its moving average, and the validation loss at each epoch end; the validation
    /// metric (accuracy or F1) on the right axis.
    /// </summary>
    public static void LossCurve(TrainingHistory history, string path, string metricName = "validation accuracy")
    {
        var plot = new Plot();
        var losses = history.StepLosses.Select(l => (double)l).ToArray();
        var steps = Enumerable.Range(1, losses.Length).Select(i => (double)i).ToArray();
        if (losses.Length > 0)
        {
            var raw = plot.Add.ScatterLine(steps, losses);
            raw.Color = Colors.SteelBlue.WithAlpha(0.3);
            raw.LegendText = "training loss (step)";
            var smooth = plot.Add.ScatterLine(steps, MovingAverage(losses, Math.Clamp(losses.Length / 10, 1, 50)));
            smooth.Color = Colors.SteelBlue;
            smooth.LineWidth = 2;
            smooth.LegendText = "training loss (moving average)";
        }
        var epochs = history.Epochs;
        if (epochs.Count > 0)
        {
            // Every epoch has the same number of steps, so epoch e ends at step e * steps / epochs.
            var ends = epochs.Select(e => (double)e.Epoch * losses.Length / epochs.Count).ToArray();
            var withValidation = epochs.Select((e, i) => (e, x: ends[i])).Where(t => t.e.ValidationLoss is not null).ToArray();
            if (withValidation.Length > 0)
            {
                var val = plot.Add.Scatter(withValidation.Select(t => t.x).ToArray(), withValidation.Select(t => t.e.ValidationLoss!.Value).ToArray());
                val.Color = Colors.OrangeRed;
                val.LineWidth = 2;
                val.MarkerSize = 9;
                val.LegendText = "validation loss (epoch)";
                var metric = plot.Add.Scatter(withValidation.Select(t => t.x).ToArray(), withValidation.Select(t => t.e.ValidationMetric ?? double.NaN).ToArray());
                metric.Color = Colors.SeaGreen;
                metric.LineWidth = 2;
                metric.MarkerSize = 9;
                metric.MarkerShape = MarkerShape.FilledSquare;
                metric.LegendText = metricName + " (right axis)";
                metric.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = metricName;
                plot.Axes.SetLimitsY(0, 1, plot.Axes.Right);
            }
        }
        plot.Axes.SetLimitsY(0, Math.Max(0.1, losses.Concat(epochs.Select(e => e.ValidationLoss ?? 0)).DefaultIfEmpty(1).Max() * 1.05));
        plot.Title("Fine-tuning loss");
        plot.XLabel("optimizer step");
        plot.YLabel("cross-entropy loss");
        plot.ShowLegend(Alignment.LowerLeft);
        Save(plot, path);
    }

    /// <summary>
    /// Confusion matrix: rows are the true classes, columns the predicted ones; each cell shows its count and its share of
    /// the row, and is shaded by that share (the recall on the diagonal).
    /// </summary>
    public static void ConfusionMatrix(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classNames, string path, string title = "Confusion matrix (test set)")
    {
        int n = classNames.Count;
        var share = new double[n, n];
        var plot = new Plot();
        for (int r = 0; r < n; r++)
        {
            double total = Math.Max(1, counts[r].Sum());
            for (int c = 0; c < n; c++) share[r, c] = counts[r][c] / total;
        }
        var heatmap = plot.Add.Heatmap(share);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (r, c) centred on x = c, y = n - 1 - r: the first true class on top, as confusion matrices are usually read.
        heatmap.Extent = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                var text = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{counts[r][c]:0}\n{share[r, c] * 100:F1}%"), c, n - 1 - r);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n <= 6 ? 18 : 11;
                text.LabelFontColor = share[r, c] > 0.5 ? Colors.White : Colors.Black;
            }
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, classNames.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, classNames.Reverse().ToArray());
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Add.ColorBar(heatmap).Label = "share of the true class";
        plot.Title(title);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Grid.IsVisible = false;
        Save(plot, path, Math.Max(600, 140 * n + 250), Math.Max(520, 120 * n + 200));
    }

    /// <summary>
    /// Reliability diagram: accuracy against mean confidence per confidence bin, before and after calibration, with the
    /// diagonal of perfect calibration; the legend carries each curve's ECE. Empty bins are skipped.
    /// </summary>
    public static void ReliabilityDiagram(CalibrationReport before, CalibrationReport after, string path, string title = "Reliability diagram (test set)")
    {
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.Color = Colors.Gray;
        diagonal.LegendText = "perfect calibration";
        AddCurve(plot, before, $"before calibration (ECE {before.ExpectedCalibrationError:F4})", Colors.OrangeRed);
        AddCurve(plot, after, $"after calibration (ECE {after.ExpectedCalibrationError:F4})", Colors.SteelBlue);
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title(title);
        plot.XLabel("confidence (highest class probability)");
        plot.YLabel("accuracy");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path, 700, 650);
    }

    /// <summary>Grouped bars, one group per category (e.g. precision, recall and F1 per entity type), values in [0, 1].</summary>
    public static void GroupedBars(IReadOnlyList<string> categories, IReadOnlyList<(string Series, IReadOnlyList<double> Values)> series, string path, string title)
    {
        var plot = new Plot();
        Color[] palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.SlateGray];
        int k = series.Count;
        for (int s = 0; s < k; s++)
        {
            var bars = series[s].Values.Select((v, c) => new Bar { Position = c * (k + 1) + s, Value = v, FillColor = palette[s % palette.Length] }).ToArray();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Series, FillColor = palette[s % palette.Length] });
        }
        var ticks = categories.Select((c, i) => new Tick(i * (k + 1) + (k - 1) / 2.0, c)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Title(title);
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path, Math.Max(700, 120 * categories.Count + 200), 500);
    }

    private static void AddCurve(Plot plot, CalibrationReport report, string label, Color color)
    {
        var bins = report.Bins.Where(b => b.Count > 0).ToArray();
        var curve = plot.Add.Scatter(bins.Select(b => b.MeanConfidence).ToArray(), bins.Select(b => b.Accuracy).ToArray());
        curve.Color = color;
        curve.LineWidth = 2;
        curve.MarkerSize = 8;
        curve.LegendText = label;
    }

    private static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }

    // Rendered to memory and renamed into place, so that a reader never sees a half-written PNG.
    private static void Save(Plot plot, string path, int width = Width, int height = Height)
    {
        var bytes = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
