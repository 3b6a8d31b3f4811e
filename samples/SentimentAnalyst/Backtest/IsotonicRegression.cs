namespace SentimentAnalyst.Backtest;

/// <summary>
/// Isotonic (non-decreasing) regression of a 0/1 outcome on a score, by pool-adjacent-violators: the best
/// non-decreasing step function in squared error. It assumes only that a higher score never means a lower rate.
/// A score between two steps gets the lower step's value; below the first, the first's.
/// </summary>
public sealed class IsotonicRegression
{
    private readonly double[] starts;
    private readonly double[] values;

    private IsotonicRegression(double[] starts, double[] values)
    {
        this.starts = starts;
        this.values = values;
    }

    /// <summary>Number of steps of the fitted function.</summary>
    public int Steps => values.Length;

    /// <summary>The fitted rate at <paramref name="x"/>.</summary>
    public double Predict(double x)
    {
        int i = Array.BinarySearch(starts, x);
        if (i < 0) i = Math.Max(0, ~i - 1);
        return values[i];
    }

    /// <summary>Fits <paramref name="y"/> on <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Sizes differ, no points, or a non-finite x.</exception>
    public static IsotonicRegression Fit(IReadOnlyList<double> x, IReadOnlyList<bool> y)
    {
        if (x.Count != y.Count || x.Count == 0) throw new ArgumentException($"Expected paired points; got {x.Count} x and {y.Count} y.", nameof(y));
        if (x.Any(v => !double.IsFinite(v))) throw new ArgumentException("Every x must be finite.", nameof(x));
        // Equal scores are one point of their mean outcome; then adjacent blocks are merged while they decrease.
        var points = Enumerable.Range(0, x.Count).GroupBy(i => x[i]).OrderBy(g => g.Key)
            .Select(g => (Start: g.Key, Sum: g.Sum(i => y[i] ? 1.0 : 0.0), Weight: (double)g.Count()));
        var blocks = new List<(double Start, double Sum, double Weight)>();
        foreach (var point in points)
        {
            var block = point;
            while (blocks.Count > 0 && blocks[^1].Sum / blocks[^1].Weight >= block.Sum / block.Weight)
            {
                var previous = blocks[^1];
                blocks.RemoveAt(blocks.Count - 1);
                block = (previous.Start, previous.Sum + block.Sum, previous.Weight + block.Weight);
            }
            blocks.Add(block);
        }
        return new IsotonicRegression(blocks.Select(b => b.Start).ToArray(), blocks.Select(b => b.Sum / b.Weight).ToArray());
    }
}
