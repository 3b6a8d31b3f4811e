using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Accuracy against trainable parameters on a log x axis, one marker per method, named in the legend (PNG, rendered headless by SkiaSharp).</summary>
internal static class MethodsChart
{
    public static void Write(IReadOnlyList<(string Task, string Method, long Trainable, double Accuracy)> points, string path, string title)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var methods = points.Select(p => p.Method).Distinct().ToList();
        for (int i = 0; i < points.Count; i++)
        {
            var (task, method, trainable, accuracy) = points[i];
            // ScottPlot has no log axis: plot log10(x) and label the ticks as powers of ten.
            double x = Math.Log10(Math.Max(1, trainable));
            // Methods of similar size overlap as text; the legend names them instead.
            var shape = task == "wnut" ? MarkerShape.FilledSquare : MarkerShape.FilledCircle;
            var marker = plot.Add.Marker(x, accuracy, shape, size: 12, color: palette.GetColor(methods.IndexOf(method)));
            marker.LegendText = $"{method} ({(task == "wnut" ? "WNUT-17 F1" : "sentiment accuracy")})";
        }
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new LogMinorTickGenerator(),
            LabelFormatter = v => Math.Pow(10, v).ToString("#,0", CultureInfo.InvariantCulture),
        };
        var xs = points.Select(p => Math.Log10(Math.Max(1, p.Trainable))).ToList();
        var ys = points.Select(p => p.Accuracy).ToList();
        plot.Axes.SetLimits(Math.Floor(xs.Min()) - 0.2, Math.Ceiling(xs.Max()) + 0.6, Math.Max(0, ys.Min() - 0.1), Math.Min(1, ys.Max() + 0.03));
        plot.Title(title, size: 14);
        plot.XLabel("trainable parameters (log scale)");
        plot.YLabel("accuracy (sentiment) / entity F1 (WNUT-17)");
        plot.ShowLegend(Edge.Right);   // outside the data area: inside it, the legend hid points

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileNameWithoutExtension(path)}-{Guid.NewGuid():N}.png");
        plot.SavePng(tmp, 1300, 620);
        File.Move(tmp, path, overwrite: true);
    }
}
