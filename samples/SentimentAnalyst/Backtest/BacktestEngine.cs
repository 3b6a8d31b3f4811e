namespace SentimentAnalyst.Backtest;

/// <summary>
/// The back-test proper, from scored and dated tweets to figures: daily signals, de-biased signals, returns, rank ICs,
/// hit rates, long-short returns, calibration to realised moves. No I/O and no model, so tests can plant signals.
/// </summary>
public static class BacktestEngine
{
    /// <summary>The raw signal's name.</summary>
    public const string Raw = "raw";

    /// <summary>The de-biased signal's name.</summary>
    public const string Debiased = "de-biased";

    private static readonly (string Name, Func<DailySignal, double?> Value)[] SignalKinds = [(Raw, s => s.Raw), (Debiased, s => s.Debiased)];

    /// <summary>Runs the back-test on tweets already scored and attributed to a trading day of <paramref name="prices"/>.</summary>
    public static BacktestResult Run(PriceTable prices, IEnumerable<(string Ticker, int DayIndex, TweetScores Scores)> tweets, BacktestOptions? options = null)
    {
        options ??= BacktestOptions.Default;
        var signals = DailySignal.From(tweets, options.Debias);
        var returns = new ForwardReturns(prices);
        var figures = new List<SignalFigures>();
        var calibration = new List<MoveCalibrationResult>();
        var direction = new List<DirectionResult>();
        foreach (var (name, value) in SignalKinds)
        {
            foreach (var horizon in Horizon.All)
            {
                var observations = Observations(signals, value, returns, horizon);
                var ic = RankIc.Daily(observations);
                var longShort = QuintileLongShort.Daily(observations);
                figures.Add(new SignalFigures(name, horizon, observations.Count,
                    SeriesSummary.Of(ic.Select(d => d.Ic).ToList(), horizon.Days), ic,
                    RankIc.HitRate(observations, neutral: false), RankIc.HitRate(observations, neutral: true),
                    SeriesSummary.Of(longShort.Select(d => d.Return).ToList(), horizon.Days), longShort));
            }
            var nextDay = Observations(signals, value, returns, Horizon.NextDay);
            var calendar = prices.Calendar;
            calibration.Add(options.Calibration.Evaluate(
                nextDay.Select(o => new MoveCalibration.Point(calendar[o.DayIndex], calendar[o.DayIndex + Horizon.NextDay.To], o.Signal, o.Return > 0)).ToList(), name));
            direction.Add(options.Direction.Evaluate(nextDay.Select(o => (calendar[o.DayIndex], o.Signal, o.Return)), name));
        }
        return new BacktestResult(prices, options, signals, figures, calibration, direction);
    }

    private static List<Observation> Observations(IEnumerable<DailySignal> signals, Func<DailySignal, double?> value, ForwardReturns returns, Horizon horizon)
    {
        var result = new List<Observation>();
        foreach (var s in signals)
        {
            if (value(s) is not { } x) continue;
            double r = returns.Raw(s.Ticker, s.DayIndex, horizon);
            if (double.IsNaN(r)) continue;
            result.Add(new Observation(s.DayIndex, s.Ticker, x, r, returns.Neutral(s.Ticker, s.DayIndex, horizon)));
        }
        return result;
    }
}
