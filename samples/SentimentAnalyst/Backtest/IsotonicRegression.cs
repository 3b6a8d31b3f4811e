namespace SentimentAnalyst.Backtest;

/// <summary>
/// Isotonic (non-decreasing) regression of a 0/1 outcome on a score, by pool-adjacent-violators: the best
/// non-decreasing step function in squared error. It assumes only that a higher score never means a lower rate.
/// A score between two steps gets the lower step's value; below the first, the first's. A minimum step size keeps the
/// ends honest: plain PAV gives the few most extreme scores a step of their own, often a rate of 0 or 1 (a certainty
/// that a handful of days cannot support); with a minimum, a smaller block is pooled with its neighbour.
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

    /// <summary>Fits <paramref name="y"/> on <paramref name="x"/>, every step holding at least <paramref name="minStepPoints"/> points (all of them if fewer).</summary>
    /// <exception cref="ArgumentException">Sizes differ, no points, a non-finite x, or <paramref name="minStepPoints"/> below 1.</exception>
    public static IsotonicRegression Fit(IReadOnlyList<double> x, IReadOnlyList<bool> y, int minStepPoints = 1)
    {
        if (x.Count != y.Count || x.Count == 0) throw new ArgumentException($"Expected paired points; got {x.Count} x and {y.Count} y.", nameof(y));
        if (x.Any(v => !double.IsFinite(v))) throw new ArgumentException("Every x must be finite.", nameof(x));
        if (minStepPoints < 1) throw new ArgumentOutOfRangeException(nameof(minStepPoints), minStepPoints, "Expected at least 1 point per step.");
        // Equal scores are one point of their mean outcome; then adjacent blocks are merged while they decrease or the
        // earlier one is too small. Merging keeps the means increasing, so a small last block can join its neighbour.
        var points = Enumerable.Range(0, x.Count).GroupBy(i => x[i]).OrderBy(g => g.Key)
            .Select(g => (Start: g.Key, Sum: g.Sum(i => y[i] ? 1.0 : 0.0), Weight: (double)g.Count()));
        var blocks = new List<(double Start, double Sum, double Weight)>();
        foreach (var point in points)
        {
            var block = point;
            while (blocks.Count > 0 && (blocks[^1].Sum / blocks[^1].Weight >= block.Sum / block.Weight || blocks[^1].Weight < minStepPoints))
            {
                var previous = blocks[^1];
                blocks.RemoveAt(blocks.Count - 1);
                block = (previous.Start, previous.Sum + block.Sum, previous.Weight + block.Weight);
            }
            blocks.Add(block);
        }
        while (blocks.Count > 1 && blocks[^1].Weight < minStepPoints)
        {
            var (last, previous) = (blocks[^1], blocks[^2]);
            blocks.RemoveRange(blocks.Count - 2, 2);
            blocks.Add((previous.Start, previous.Sum + last.Sum, previous.Weight + last.Weight));
        }
        return new IsotonicRegression(blocks.Select(b => b.Start).ToArray(), blocks.Select(b => b.Sum / b.Weight).ToArray());
    }
}
