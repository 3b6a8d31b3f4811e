namespace Microsoft.ML.Lora.Statistics;

/// <summary>
/// Pearson and Spearman correlation of paired samples, in double precision. Spearman is Pearson on average ranks, so ties
/// get the mean of the ranks they span (as scipy.stats.spearmanr does).
/// </summary>
/// <remarks>
/// Shared by everything that scores an ordering against truth: sentence-similarity metrics (STS-B reports Spearman) and the
/// sentiment sample's back-test (daily rank information coefficient). A constant sample has no defined correlation: the
/// result is NaN, which callers skip or report, never 0.
/// </remarks>
internal static class Correlation
{
    /// <summary>Pearson's r of <paramref name="x"/> and <paramref name="y"/>; NaN when either is constant.</summary>
    /// <exception cref="ArgumentException">The lengths differ, there are fewer than 2 pairs, or a value is not finite.</exception>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        Check(x, y);
        double meanX = 0, meanY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }

        meanX /= x.Length;
        meanY /= x.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        if (sxx == 0 || syy == 0)
        {
            return double.NaN;
        }

        // Rounding can push |r| a hair above 1 for perfectly linear data.
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Spearman's rank correlation of <paramref name="x"/> and <paramref name="y"/> (ties get average ranks); NaN when either is constant.</summary>
    /// <exception cref="ArgumentException">The lengths differ, there are fewer than 2 pairs, or a value is not finite.</exception>
    public static double Spearman(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        Check(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>1-based ranks of <paramref name="values"/> in increasing order; tied values share the mean of their ranks.</summary>
    public static double[] Ranks(ReadOnlySpan<double> values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var keys = values.ToArray();
        Array.Sort(keys, order);
        var ranks = new double[values.Length];
        for (int start = 0; start < keys.Length;)
        {
            int end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }

            // Positions start..end-1 hold equal values: ranks start+1..end, whose mean is (start + 1 + end) / 2.
            double rank = (start + 1 + end) / 2.0;
            for (int k = start; k < end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end;
        }

        return ranks;
    }

    private static void Check(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"Expected paired samples of equal length; got {x.Length} and {y.Length} values.", nameof(y));
        }

        if (x.Length < 2)
        {
            throw new ArgumentException($"Expected at least 2 pairs; got {x.Length}.", nameof(x));
        }

        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i]))
            {
                throw new ArgumentException($"Pair {i} is ({x[i]}, {y[i]}); expected finite numbers.", double.IsFinite(x[i]) ? nameof(y) : nameof(x));
            }
        }
    }
}
