using System.Globalization;
using Samples.Common;

namespace SentimentAnalyst.Backtest;

/// <summary>The console tables of a back-test: IC, hit rate and long-short per signal and horizon; calibration; direction.</summary>
public static class BacktestReport
{
    /// <summary>Prints <paramref name="result"/>.</summary>
    public static void WriteTo(TextWriter output, BacktestResult result)
    {
        var calendar = result.Prices.Calendar;
        output.WriteLine();
        output.WriteLine(Invariant($"Daily signals: {result.Signals.Count:N0} ticker-days with tweets, {result.Signals.Sum(s => s.TweetCount):N0} tweets; de-biased (trailing z-score) on {result.Signals.Count(s => s.Debiased is not null):N0} of them."));
        output.WriteLine();
        output.WriteLine("Cross-sectional figures (rank IC: Spearman across tickers each day, mean over days; t and 95% interval from Newey-West errors;");
        output.WriteLine("hit: sign of signal = sign of return, raw / market-neutral; L/S: top minus bottom quintile, mean per day over the horizon):");
        var table = new TextTable("signal", "horizon", "days", "mean IC", "t", "95% interval", "hit raw / neutral", "L/S mean", "L/S t");
        foreach (var f in result.Figures)
            table.Add(f.Signal, f.Horizon.Name, f.Ic.Count.ToString("N0", CultureInfo.InvariantCulture), Invariant($"{f.Ic.Mean:+0.0000;-0.0000;0.0000}"), Invariant($"{f.Ic.TStatistic:F2}"),
                Invariant($"[{f.Ic.Low95:+0.000;-0.000;0.000}, {f.Ic.High95:+0.000;-0.000;0.000}]"), Invariant($"{f.HitRate:F3} / {f.NeutralHitRate:F3}"),
                Invariant($"{f.LongShort.Mean * 1e4:+0.0;-0.0;0.0} bp"), Invariant($"{f.LongShort.TStatistic:F2}"));
        table.WriteTo(output);
        output.WriteLine("  (IC and L/S are the same for raw and market-neutral returns: subtracting the day's market return changes no ranks.)");

        var c = result.Options.Calibration;
        output.WriteLine();
        output.WriteLine(Invariant($"Calibration to realised moves, P(up next day | signal): fitted {c.FitStart:yyyy-MM-dd}…{c.FitEnd:yyyy-MM-dd}, scored {c.TestStart:yyyy-MM-dd}…{c.TestEnd:yyyy-MM-dd}:"));
        var cal = new TextTable("signal", "forecast", "fit days", "test days", "Brier", "ECE (10 bins)", "skill vs base rate");
        foreach (var m in result.Calibration)
        {
            cal.Add(m.Signal, Invariant($"base rate {m.FitUpRate:F3}"), Count(m.FitCount), Count(m.TestCount), Invariant($"{m.BaseRate.Brier:F4}"), Invariant($"{m.BaseRate.Ece:F4}"), "0 (reference)");
            cal.Add(m.Signal, Invariant($"logistic (slope {m.Logistic.Slope:+0.000;-0.000;0.000})"), Count(m.FitCount), Count(m.TestCount), Invariant($"{m.LogisticTest.Brier:F4}"), Invariant($"{m.LogisticTest.Ece:F4}"), Invariant($"{m.LogisticSkill:+0.0000;-0.0000;0.0000}"));
            cal.Add(m.Signal, Invariant($"isotonic ({m.IsotonicSteps} step{(m.IsotonicSteps == 1 ? "" : "s")})"), Count(m.FitCount), Count(m.TestCount), Invariant($"{m.IsotonicTest.Brier:F4}"), Invariant($"{m.IsotonicTest.Ece:F4}"), Invariant($"{m.IsotonicSkill:+0.0000;-0.0000;0.0000}"));
        }
        cal.WriteTo(output);
        output.WriteLine(Invariant($"  (share of up days in the test window: {result.Calibration[0].TestUpRate:F3}; skill = 1 - Brier / Brier of the base rate, above 0 beats it)"));

        var d = result.Options.Direction;
        output.WriteLine();
        output.WriteLine(Invariant($"Next-day direction, StockNet's protocol ({d.Start:yyyy-MM-dd}…{d.End:yyyy-MM-dd}, moves between {d.DownAtMost * 100:0.0#}% and +{d.UpAbove * 100:0.0#}% dropped; StockNet's best model: 58.2%):"));
        foreach (var r in result.Direction)
            output.WriteLine(Invariant($"  {r.Signal,-10} sign of the signal {r.Accuracy * 100:F1}% over {r.Count:N0} ticker-days; always up {r.AlwaysUpAccuracy * 100:F1}%"));
    }

    private static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
