using Microsoft.ML.Lora.Statistics;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Statistics;

public class CorrelationTests
{
    [Fact]
    public void PearsonAndSpearmanMatchHandComputedValues()
    {
        double[] x = [1, 2, 3, 4, 5], y = [2, 1, 4, 3, 5];
        // Pearson: Σdx·dy = 8, Σdx² = Σdy² = 10 → 0.8; the ranks are the values themselves, so Spearman is 0.8 too.
        Assert.Equal(0.8, Correlation.Pearson(x, y), 12);
        Assert.Equal(0.8, Correlation.Spearman(x, y), 12);
        // A monotone but non-linear relation: Spearman 1, Pearson below 1.
        double[] cubic = x.Select(v => v * v * v).ToArray();
        Assert.Equal(1.0, Correlation.Spearman(x, cubic), 12);
        Assert.True(Correlation.Pearson(x, cubic) < 0.99);
        Assert.Equal(-1.0, Correlation.Spearman(x, x.Select(v => -v).ToArray()), 12);
    }

    [Fact]
    public void TiesGetAverageRanksAsScipyDoes()
    {
        Assert.Equal([1.5, 1.5, 3, 5, 5, 5], Correlation.Ranks([10.0, 10, 20, 30, 30, 30]));
        Assert.Equal([3.0, 1, 2], Correlation.Ranks([0.3, -1, 0]));
        // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic = 0.9486832980505138
        Assert.Equal(0.9486832980505138, Correlation.Spearman([1.0, 2, 2, 3], [1.0, 3, 2, 4]), 12);
    }

    [Fact]
    public void ConstantSamplesHaveNoCorrelationAndBadInputIsRefused()
    {
        Assert.True(double.IsNaN(Correlation.Spearman([1.0, 1, 1], [1.0, 2, 3])));
        Assert.True(double.IsNaN(Correlation.Pearson([1.0, 2, 3], [4.0, 4, 4])));
        Assert.Contains("got 3 and 2", Assert.Throws<ArgumentException>(() => Correlation.Pearson([1.0, 2, 3], [1.0, 2])).Message);
        Assert.Contains("at least 2 pairs", Assert.Throws<ArgumentException>(() => Correlation.Spearman([1.0], [1.0])).Message);
        Assert.Contains("Pair 1", Assert.Throws<ArgumentException>(() => Correlation.Spearman([1.0, double.NaN], [1.0, 2])).Message);
    }
}
