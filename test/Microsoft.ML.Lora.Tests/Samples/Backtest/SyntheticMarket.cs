using SentimentAnalyst.Backtest;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>
/// A market made in the test with a planted signal: on each trading day t every ticker gets a hidden news value s(t),
/// one tweet before the close whose tone is increasing in s(t), and a next-day return
/// r(t → t+1) = market(t+1) + σ (ρ s(t) + √(1 − ρ²) ε). With s and ε standard normal, the population rank IC between the
/// tweets of day t and the next-day return is about (6/π) asin(ρ/2) (see <see cref="ExpectedSpearman"/>).
/// </summary>
internal sealed class SyntheticMarket
{
    private SyntheticMarket(PriceTable prices, double[,] news, string[] tickers, double rho)
    {
        Prices = prices;
        News = news;
        Tickers = tickers;
        Rho = rho;
    }

    public PriceTable Prices { get; }

    /// <summary>News value s[ticker, day index].</summary>
    public double[,] News { get; }

    public string[] Tickers { get; }

    public double Rho { get; }

    /// <summary>The expected daily rank IC of s(t) with the next-day return, for this many tickers.</summary>
    public double PlantedIc => ExpectedSpearman(Rho, Tickers.Length);

    /// <summary>The expected daily rank IC of s(t) with the 5-day return (only its first day carries s(t): correlation ρ/√5).</summary>
    public double PlantedFiveDayIc => ExpectedSpearman(Rho / Math.Sqrt(5), Tickers.Length);

    /// <summary>
    /// E[Spearman] of n draws of a bivariate normal with correlation ρ (Moran, 1948): 6/(π(n+1)) (asin ρ + (n − 2) asin(ρ/2)),
    /// which tends to (6/π) asin(ρ/2) as n grows (0.1434 for ρ = 0.15; 0.1399 for 40 tickers).
    /// </summary>
    public static double ExpectedSpearman(double rho, int n) => 6 / (Math.PI * (n + 1)) * (Math.Asin(rho) + (n - 2) * Math.Asin(rho / 2));

    /// <summary>The weekdays from <paramref name="first"/> to <paramref name="last"/>, except those in <paramref name="closed"/>.</summary>
    public static List<DateOnly> Weekdays(DateOnly first, DateOnly last, params DateOnly[] closed)
    {
        var days = new List<DateOnly>();
        for (var d = first; d <= last; d = d.AddDays(1))
            if (d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !closed.Contains(d)) days.Add(d);
        return days;
    }

    public static SyntheticMarket Create(int tickers = 40, double rho = 0.15, int seed = 11, double sigma = 0.015)
    {
        var random = new SplitMix(seed);
        var days = Weekdays(new DateOnly(2014, 1, 2), new DateOnly(2015, 12, 31));
        var names = Enumerable.Range(0, tickers).Select(i => $"T{i:D2}").ToArray();
        var news = new double[tickers, days.Count];
        for (int i = 0; i < tickers; i++)
            for (int t = 0; t < days.Count; t++) news[i, t] = Normal(random);
        var series = new Dictionary<string, IReadOnlyList<(DateOnly, double)>>(StringComparer.Ordinal);
        var market = Enumerable.Range(0, days.Count).Select(_ => 0.01 * Normal(random)).ToArray();
        for (int i = 0; i < tickers; i++)
        {
            var closes = new List<(DateOnly, double)>();
            double price = 100;
            for (int t = 0; t < days.Count; t++)
            {
                // The return into day t carries the news of day t − 1.
                if (t > 0) price *= 1 + market[t] + sigma * (rho * news[i, t - 1] + Math.Sqrt(1 - rho * rho) * Normal(random));
                closes.Add((days[t], price));
            }
            series[names[i]] = closes;
        }
        return new SyntheticMarket(new PriceTable(series), news, names, rho);
    }

    /// <summary>
    /// One tweet per ticker and day, posted at <paramref name="easternHour"/>:00 New York time on the day of its news,
    /// moved <paramref name="shiftDays"/> trading days later (a late signal), with tone tanh(s) (any increasing function
    /// would do for a rank IC). Returns (ticker, UTC time, scores).
    /// </summary>
    public List<(string Ticker, DateTime Utc, TweetScores Scores)> Tweets(EasternTime eastern, int easternHour = 11, int shiftDays = 0)
    {
        var calendar = Prices.Calendar;
        var tweets = new List<(string, DateTime, TweetScores)>();
        for (int i = 0; i < Tickers.Length; i++)
            for (int t = 0; t + shiftDays < calendar.Count; t++)
            {
                var day = calendar[t + shiftDays];
                double tone = Math.Tanh(News[i, t]);
                var scores = new TweetScores((float)(0.5 + tone / 2) * 0.9f, (float)(0.5 - tone / 2) * 0.9f);
                tweets.Add((Tickers[i], UtcOf(eastern, day, easternHour, 0), scores));
            }
        return tweets;
    }

    /// <summary>The UTC instant of a New York wall-clock time.</summary>
    public static DateTime UtcOf(EasternTime eastern, DateOnly day, int hour, int minute)
    {
        // Find the UTC time whose Eastern wall clock is day hour:minute (offsets are −4 or −5 hours).
        foreach (int offset in new[] { 4, 5 })
        {
            var utc = DateTime.SpecifyKind(day.ToDateTime(new TimeOnly(hour, minute)).AddHours(offset), DateTimeKind.Utc);
            if (eastern.FromUtc(utc) == day.ToDateTime(new TimeOnly(hour, minute))) return utc;
        }
        throw new InvalidOperationException($"{day} {hour}:{minute} does not exist in New York time.");
    }

    /// <summary>The tweets dated with the back-test's own attribution, ready for <see cref="BacktestEngine.Run"/>.</summary>
    public List<(string Ticker, int DayIndex, TweetScores Scores)> Attributed(IEnumerable<(string Ticker, DateTime Utc, TweetScores Scores)> tweets, EasternTime eastern)
    {
        var attribution = new TradingDayAttribution(Prices.Calendar, eastern);
        return tweets.Select(t => (t.Ticker, attribution.DayIndexOf(t.Utc), t.Scores)).Where(t => t.Item2 >= 0).ToList();
    }

    public static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>
    /// SplitMix64 (Steele et al., 2014) behind <see cref="Random"/>'s interface: .NET's seeded <c>new Random(seed)</c> is
    /// the legacy subtractive generator, whose streams are correlated enough to bias a planted correlation by a few
    /// percent.
    /// </summary>
    internal sealed class SplitMix(long seed) : Random
    {
        private ulong state = (ulong)seed;

        public override double NextDouble() => (Next64() >> 11) * (1.0 / (1UL << 53));

        protected override double Sample() => NextDouble();

        private ulong Next64()
        {
            ulong z = state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }
}
