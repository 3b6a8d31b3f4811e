using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Accuracy against trainable parameters on a log x axis, one marker per method, named in the legend (PNG, rendered headless by SkiaSharp).</summary>
internal static class MethodsChart
{
    public static void Write(IReadOnlyList<(string Method, long Trainable, double Accuracy)> points, string path, string title)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < points.Count; i++)
        {
            var (method, trainable, accuracy) = points[i];
            // ScottPlot has no log axis: plot log10(x) and label the ticks as powers of ten.
            double x = Math.Log10(Math.Max(1, trainable));
            // Methods of similar size overlap as text; the legend names them instead.
            var marker = plot.Add.Marker(x, accuracy, MarkerShape.FilledCircle, size: 12, color: palette.GetColor(i));
            marker.LegendText = method;
        }
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new LogMinorTickGenerator(),
            LabelFormatter = v => Math.Pow(10, v).ToString("#,0", CultureInfo.InvariantCulture),
        };
        var xs = points.Select(p => Math.Log10(Math.Max(1, p.Trainable))).ToList();
        var ys = points.Select(p => p.Accuracy).ToList();
        plot.Axes.SetLimits(Math.Floor(xs.Min()) - 0.2, Math.Ceiling(xs.Max()) + 0.6, Math.Max(0, ys.Min() - 0.05), Math.Min(1, ys.Max() + 0.03));
        plot.Title(title, size: 14);
        plot.XLabel("trainable parameters (log scale)");
        plot.YLabel("validation accuracy");
        plot.ShowLegend(Alignment.LowerRight);

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileNameWithoutExtension(path)}-{Guid.NewGuid():N}.png");
        plot.SavePng(tmp, 1000, 620);
        File.Move(tmp, path, overwrite: true);
    }
}
