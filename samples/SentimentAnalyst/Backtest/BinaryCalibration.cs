namespace SentimentAnalyst.Backtest;

/// <summary>One bin of a reliability table of a probability of an event.</summary>
/// <param name="Count">Predictions in the bin.</param>
/// <param name="MeanPredicted">Their mean predicted probability.</param>
/// <param name="ObservedRate">The share of them where the event happened.</param>
public sealed record ReliabilityPoint(int Count, double MeanPredicted, double ObservedRate);

/// <summary>
/// How well predicted probabilities of a binary event match what happened: Brier score (mean squared error of the
/// probability), expected calibration error over equal-count bins, and the reliability table. Equal-count bins, not
/// equal-width: P(up) lives in a narrow band around one half, where equal-width bins would put everything in one or two.
/// </summary>
/// <param name="Count">Number of predictions.</param>
/// <param name="Brier">Mean of (p − y)².</param>
/// <param name="Ece">Σ over bins of (bin size / n) · |mean p − observed rate|.</param>
/// <param name="Bins">The reliability table, in increasing p.</param>
public sealed record BinaryCalibration(int Count, double Brier, double Ece, IReadOnlyList<ReliabilityPoint> Bins)
{
    /// <summary>The default number of bins.</summary>
    public const int DefaultBins = 10;

    /// <summary>
    /// Scores <paramref name="predicted"/> against <paramref name="happened"/>; rows are sorted by p and cut into
    /// <paramref name="bins"/> bins of (nearly) equal size, never splitting equal predictions (a constant forecast is one bin).
    /// </summary>
    /// <exception cref="ArgumentException">Sizes differ, no predictions, or a probability outside [0, 1].</exception>
    public static BinaryCalibration Compute(IReadOnlyList<double> predicted, IReadOnlyList<bool> happened, int bins = DefaultBins)
    {
        int n = predicted.Count;
        if (n == 0 || happened.Count != n) throw new ArgumentException($"Expected paired predictions and outcomes; got {n} and {happened.Count}.", nameof(happened));
        if (predicted.Any(p => !(p >= 0 && p <= 1))) throw new ArgumentException("Every prediction must be a probability in [0, 1].", nameof(predicted));
        double brier = Enumerable.Range(0, n).Average(i => Math.Pow(predicted[i] - (happened[i] ? 1 : 0), 2));
        var order = Enumerable.Range(0, n).OrderBy(i => predicted[i]).ToArray();
        var table = new List<ReliabilityPoint>();
        double ece = 0;
        int bin = 0;
        for (int start = 0; start < n;)
        {
            // Bin b ends near b·n/bins; a run of equal predictions that crosses the edge stays in one bin.
            int end;
            do end = (int)Math.Round((double)++bin * n / bins);
            while (end <= start);
            end = Math.Min(end, n);
            while (end < n && predicted[order[end]] == predicted[order[end - 1]]) end++;
            var members = order[start..end];
            double meanP = members.Average(i => predicted[i]), rate = members.Average(i => happened[i] ? 1.0 : 0.0);
            table.Add(new ReliabilityPoint(members.Length, meanP, rate));
            ece += (double)members.Length / n * Math.Abs(meanP - rate);
            start = end;
        }
        return new BinaryCalibration(n, brier, ece, table);
    }
}
