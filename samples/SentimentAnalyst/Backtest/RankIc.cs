using Microsoft.ML.Lora.Statistics;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// The daily cross-sectional rank information coefficient: on each trading day, Spearman's correlation between the
/// tickers' signals and their returns over the horizon. Days with fewer than <see cref="MinNames"/> tickers, or where
/// the signal or the return is the same for all, have no IC and are left out.
/// </summary>
public static class RankIc
{
    /// <summary>The fewest tickers a day needs for an IC.</summary>
    public const int MinNames = 5;

    /// <summary>One IC per qualifying day, in day order. Ranks are invariant to subtracting the market, so raw and market-neutral returns give the same IC.</summary>
    public static List<(int DayIndex, double Ic)> Daily(IEnumerable<Observation> observations, int minNames = MinNames)
    {
        var result = new List<(int, double)>();
        foreach (var day in observations.GroupBy(o => o.DayIndex).OrderBy(g => g.Key))
        {
            var rows = day.ToArray();
            if (rows.Length < minNames) continue;
            double ic = Correlation.Spearman(rows.Select(r => r.Signal).ToArray(), rows.Select(r => r.Return).ToArray());
            if (!double.IsNaN(ic)) result.Add((day.Key, ic));
        }
        return result;
    }

    /// <summary>
    /// Share of ticker-days where the signal's sign matches the return's (market-neutral when <paramref name="neutral"/>);
    /// zero signals and zero returns are left out. NaN when nothing is left.
    /// </summary>
    public static double HitRate(IEnumerable<Observation> observations, bool neutral)
    {
        int hits = 0, count = 0;
        foreach (var o in observations)
        {
            double r = neutral ? o.NeutralReturn : o.Return;
            if (o.Signal == 0 || r == 0) continue;
            count++;
            if (Math.Sign(o.Signal) == Math.Sign(r)) hits++;
        }
        return count == 0 ? double.NaN : (double)hits / count;
    }
}
