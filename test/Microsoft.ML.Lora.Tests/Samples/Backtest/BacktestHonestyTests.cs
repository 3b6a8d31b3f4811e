using SentimentAnalyst.Backtest;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>
/// The back-test must find a planted signal where it is, lose it when the signal comes a day late, and never let a
/// figure read a price from after the day it belongs to.
/// </summary>
public class BacktestHonestyTests(ITestOutputHelper output)
{
    private static readonly EasternTime Eastern = EasternTime.Load();

    [Fact]
    public void APlantedNextDaySignalIsRecoveredWithinItsIntervalAtItsHorizonOnly()
    {
        var market = SyntheticMarket.Create();
        var result = BacktestEngine.Run(market.Prices, market.Attributed(market.Tweets(Eastern), Eastern));

        var next = result.Of(BacktestEngine.Raw, Horizon.NextDay);
        var same = result.Of(BacktestEngine.Raw, Horizon.SameDay);
        var five = result.Of(BacktestEngine.Raw, Horizon.FiveDays);
        output.WriteLine($"planted {market.PlantedIc:F4}; next day {next.Ic}; same day {same.Ic}; 5 days {five.Ic} (planted {market.PlantedFiveDayIc:F4})");
        Assert.True(next.Ic.Covers(market.PlantedIc), $"next-day IC {next.Ic.Mean:F4} [{next.Ic.Low95:F4}, {next.Ic.High95:F4}] misses the planted {market.PlantedIc:F4}");
        Assert.True(next.Ic.TStatistic > 10);
        Assert.True(next.Ic.High95 - next.Ic.Low95 < 0.05, "the interval is too wide to mean anything");
        Assert.True(same.Ic.Covers(0), $"same-day IC {same.Ic.Mean:F4}: the tweets were planted to predict, not to react");
        Assert.True(five.Ic.Covers(market.PlantedFiveDayIc), $"5-day IC {five.Ic.Mean:F4} vs planted {market.PlantedFiveDayIc:F4}");
        Assert.True(next.LongShort.Mean > 0 && next.LongShort.TStatistic > 5);
        Assert.InRange(next.NeutralHitRate, 0.53, 0.6);

        // Every ticker's tone is centred on zero, so de-biasing keeps the signal.
        var debiased = result.Of(BacktestEngine.Debiased, Horizon.NextDay);
        Assert.True(debiased.Ic.Covers(market.PlantedIc) || debiased.Ic.Mean > 0.1, $"de-biased next-day IC {debiased.Ic.Mean:F4}");
    }

    [Fact]
    public void TheSameSignalOneDayLateLosesItsForecastAndShowsUpAsAReaction()
    {
        var market = SyntheticMarket.Create();
        var result = BacktestEngine.Run(market.Prices, market.Attributed(market.Tweets(Eastern, shiftDays: 1), Eastern));

        var next = result.Of(BacktestEngine.Raw, Horizon.NextDay);
        var same = result.Of(BacktestEngine.Raw, Horizon.SameDay);
        output.WriteLine($"late signal: next day {next.Ic}; same day {same.Ic}");
        Assert.True(next.Ic.Covers(0), $"a late signal still 'predicts': next-day IC {next.Ic.Mean:F4} [{next.Ic.Low95:F4}, {next.Ic.High95:F4}]");
        Assert.True(Math.Abs(next.Ic.TStatistic) < 2);
        Assert.True(same.Ic.Covers(market.PlantedIc), $"same-day IC {same.Ic.Mean:F4}: a tweet written after the move reacts to it");
        Assert.True(Math.Abs(next.LongShort.TStatistic) < 2.5);
    }

    [Fact]
    public void TweetsAfterTheCloseBelongToTheNextDayAndSoPredictNothing()
    {
        // Posted at 16:30 on the day of their news: after the close, so they are day t + 1's tweets and the move from
        // t to t + 1 is behind them.
        var market = SyntheticMarket.Create();
        var result = BacktestEngine.Run(market.Prices, market.Attributed(market.Tweets(Eastern, easternHour: 16), Eastern));

        Assert.True(result.Of(BacktestEngine.Raw, Horizon.NextDay).Ic.Covers(0));
        Assert.True(result.Of(BacktestEngine.Raw, Horizon.SameDay).Ic.Covers(market.PlantedIc));
    }

    /// <summary>
    /// Look-ahead detector: replace every close after day D with noise. Any figure for a day t whose horizon ends at or
    /// before D (t + To ≤ D) must not change, nor may any signal, nor the calibration fitted on a window that ends at D.
    /// A figure that peeked at a later price (a return window off by one, a market mean over the wrong days, a fit whose
    /// last outcomes fall after its window) changes and fails here.
    /// </summary>
    [Fact]
    public void NoFigureChangesWhenPricesAfterItsLastDayChange()
    {
        var market = SyntheticMarket.Create(tickers: 25);
        var tweets = market.Attributed(market.Tweets(Eastern), Eastern);
        var calendar = market.Prices.Calendar;
        int cut = calendar.IndexOf(new DateOnly(2015, 7, 31));
        Assert.True(cut > 0);
        var changed = Perturbed(market.Prices, cut, seed: 3);

        var a = BacktestEngine.Run(market.Prices, tweets);
        var b = BacktestEngine.Run(changed, tweets);

        Assert.Equal(a.Signals, b.Signals);
        int compared = 0;
        foreach (var fa in a.Figures)
        {
            var fb = b.Of(fa.Signal, fa.Horizon);
            var icB = fb.DailyIc.ToDictionary(d => d.DayIndex, d => d.Ic);
            var lsB = fb.DailyLongShort.ToDictionary(d => d.DayIndex, d => d.Return);
            foreach (var (day, ic) in fa.DailyIc.Where(d => d.DayIndex + fa.Horizon.To <= cut))
            {
                Assert.Equal(ic, icB[day]);
                compared++;
            }
            foreach (var (day, ls) in fa.DailyLongShort.Where(d => d.DayIndex + fa.Horizon.To <= cut))
                Assert.Equal(ls, lsB[day]);
            // ... and the perturbation is real: figures of later days did change.
            Assert.Contains(fa.DailyIc, d => d.DayIndex > cut && d.Ic != icB[d.DayIndex]);
        }
        Assert.True(compared > 2_000);

        // The calibration is fitted on 2014-01-01 … 2015-07-31 and must not see the first test-period close (2015-08-03).
        foreach (var ca in a.Calibration)
        {
            var cb = b.Calibration.Single(c => c.Signal == ca.Signal);
            Assert.Equal(ca.Logistic, cb.Logistic);
            Assert.Equal(ca.FitCount, cb.FitCount);
            Assert.Equal(ca.FitUpRate, cb.FitUpRate);
            Assert.NotEqual(ca.LogisticTest.Brier, cb.LogisticTest.Brier);
        }
    }

    [Fact]
    public void DeBiasingUsesPastDaysOnly()
    {
        var market = SyntheticMarket.Create(tickers: 5);
        var tweets = market.Attributed(market.Tweets(Eastern), Eastern);
        int cut = 300;
        // Rewrite the tone of every tweet from day `cut` on: the de-biased signal of earlier days must not move.
        var rewritten = tweets.Select(t => t.DayIndex >= cut ? (t.Ticker, t.DayIndex, new TweetScores(0.9f, 0.05f)) : t).ToList();

        var a = DailySignal.From(tweets, new TrailingZScore());
        var b = DailySignal.From(rewritten, new TrailingZScore());

        Assert.Equal(a.Where(s => s.DayIndex < cut), b.Where(s => s.DayIndex < cut));
        Assert.NotEqual(a.Where(s => s.DayIndex == cut).Select(s => s.Debiased), b.Where(s => s.DayIndex == cut).Select(s => s.Debiased));
        // Day t's z-score is (x_t − mean) / sd of the 60 days before it, today excluded.
        var ticker = a.Where(s => s.Ticker == market.Tickers[0]).ToList();
        var past = ticker.Skip(100 - 60).Take(60).Select(s => s.Raw).ToArray();
        double mean = past.Average(), sd = Math.Sqrt(past.Sum(x => (x - mean) * (x - mean)) / (past.Length - 1));
        Assert.Equal((ticker[100].Raw - mean) / sd, ticker[100].Debiased!.Value, 12);
        Assert.All(ticker.Take(20), s => Assert.Null(s.Debiased));
    }

    /// <summary>The same table with every close after <paramref name="cut"/> multiplied by a random factor.</summary>
    private static PriceTable Perturbed(PriceTable prices, int cut, int seed)
    {
        var random = new Random(seed);
        var series = new Dictionary<string, IReadOnlyList<(DateOnly, double)>>(StringComparer.Ordinal);
        foreach (var ticker in prices.Tickers)
            series[ticker] = Enumerable.Range(0, prices.Calendar.Count)
                .Select(t => (prices.Calendar[t], prices.Close(ticker, t) * (t > cut ? 0.8 + 0.4 * random.NextDouble() : 1))).ToList();
        return new PriceTable(series);
    }
}
