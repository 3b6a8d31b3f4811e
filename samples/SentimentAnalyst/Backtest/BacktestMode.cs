using System.Diagnostics;
using System.Globalization;
using Samples.Common;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// <c>--backtest</c>: scores every tweet of a StockNet folder with a saved model.zip and asks whether the sentiment says
/// anything about the stocks' next returns. Reads and checks the data, dates each tweet to the close it can first affect,
/// drops repeats, scores the distinct texts in one batched pass, then prints and charts what <see cref="BacktestEngine"/> finds.
/// </summary>
public static class BacktestMode
{
    /// <summary>Runs the back-test; returns the exit code.</summary>
    public static int Run(BacktestSettings settings)
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"Back-test of {settings.ModelPath}");
        Console.WriteLine($"       on {settings.Folder}");
        var scorer = TweetScorer.Load(settings.ModelPath);   // before reading the data: a wrong model fails at once
        Console.WriteLine($"  model classes: {string.Join(", ", scorer.ClassNames)}; signal = P(Bullish) - P(Bearish)");

        var data = StockNetFolder.Read(settings.Folder);
        var prices = data.Prices;
        var calendar = prices.Calendar;
        Console.WriteLine(Invariant($"  prices: {prices.Tickers.Count} tickers, {calendar.First:yyyy-MM-dd} … {calendar.Last:yyyy-MM-dd} ({calendar.Count:N0} trading days; adjusted closes)"));
        var eastern = EasternTime.Load();
        Console.WriteLine($"  time: US Eastern from {eastern.Source}; a tweet at or after 16:00 belongs to the next trading day's close");

        var unique = RepeatedTweets.Drop(data.Tweets);
        var attribution = new TradingDayAttribution(calendar, eastern);
        var dated = unique.Select(t => (Tweet: t, Day: attribution.DayIndexOf(t.CreatedUtc))).ToList();
        var kept = dated.Where(d => d.Day >= 0).ToList();
        Console.WriteLine(Invariant($"  tweets: {data.Tweets.Count:N0} read, {data.Tweets.Count - unique.Count:N0} exact repeats of a text for the same ticker dropped, {kept.Count:N0} kept"));
        if (kept.Count < dated.Count)
            Console.WriteLine(Invariant($"  {dated.Count - kept.Count:N0} tweets come after the last price ({calendar.Last:yyyy-MM-dd}) and are left out"));
        foreach (var ticker in kept.Where(d => double.IsNaN(prices.Close(d.Tweet.Ticker, d.Day))).GroupBy(d => d.Tweet.Ticker).OrderBy(g => g.Key, StringComparer.Ordinal))
            Console.WriteLine(Invariant($"  {ticker.Count():N0} {ticker.Key} tweets fall on days without a {ticker.Key} price (its first is {prices.FirstDay[ticker.Key]:yyyy-MM-dd}): in no figure"));

        // Each distinct text is scored once (a text posted for two tickers counts for both), and only once per model.zip.
        var texts = kept.Select(d => d.Tweet.Text).Distinct().ToArray();
        var cache = ScoreCache.Open(settings.OutputFolder, settings.ModelPath);
        if (settings.Rescore) cache.Scores.Clear();
        var toScore = texts.Where(t => !cache.Scores.ContainsKey(t)).ToArray();
        if (toScore.Length < texts.Length)
            Console.WriteLine(Invariant($"  {texts.Length - toScore.Length:N0} of {texts.Length:N0} distinct texts were scored by an earlier run with this model ({cache.Path}; --rescore scores them again)"));
        double seconds = 0, cpuSeconds = 0;
        if (toScore.Length > 0)
        {
            var bar = new CountProgressBar("scoring", toScore.Length);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var scores = scorer.Score(toScore, bar);
            seconds = bar.Elapsed.TotalSeconds;
            // CPU time as well as wall time: on a shared machine the wall clock measures the neighbours too.
            cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            bar.Complete(Invariant($"Scored {toScore.Length:N0} distinct texts ({kept.Count:N0} tweets) at {toScore.Length / seconds:F0} texts/s on {Environment.ProcessorCount} cores, {cpuSeconds:F0} s of CPU time,"));
            for (int i = 0; i < toScore.Length; i++) cache.Scores[toScore[i]] = scores[i];
            cache.Save();
        }

        var result = BacktestEngine.Run(prices, kept.Select(d => (d.Tweet.Ticker, d.Day, cache.Scores[d.Tweet.Text])));
        BacktestReport.WriteTo(Console.Out, result);
        var charts = BacktestCharts.Write(result, settings.OutputFolder);
        Console.WriteLine();
        Console.WriteLine($"Charts in {settings.OutputFolder}: {string.Join(", ", charts)}");

        var raw = result.Figures.Where(f => f.Signal == BacktestEngine.Raw).ToDictionary(f => f.Horizon);
        var debiased = result.Of(BacktestEngine.Debiased, Horizon.NextDay);
        var calibration = result.Calibration.Single(c => c.Signal == BacktestEngine.Debiased);
        Console.WriteLine();
        Console.WriteLine(ResultLine.Format(
            ("ic_same_day", raw[Horizon.SameDay].Ic.Mean), ("ic_next_day", raw[Horizon.NextDay].Ic.Mean), ("t_next_day", raw[Horizon.NextDay].Ic.TStatistic),
            ("ic_5_days", raw[Horizon.FiveDays].Ic.Mean), ("ic_next_day_debiased", debiased.Ic.Mean), ("t_next_day_debiased", debiased.Ic.TStatistic),
            ("hit_next_day_debiased", debiased.NeutralHitRate), ("long_short_next_day_bp", raw[Horizon.NextDay].LongShort.Mean * 1e4),
            ("brier", calibration.LogisticTest.Brier), ("brier_base_rate", calibration.BaseRate.Brier), ("ece", calibration.LogisticTest.Ece),
            ("tweets", kept.Count), ("texts", texts.Length), ("texts_scored", toScore.Length), ("scoring_seconds", (long)Math.Round(seconds)), ("scoring_cpu_seconds", (long)Math.Round(cpuSeconds)), ("seconds", (long)clock.Elapsed.TotalSeconds)));
        return 0;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
