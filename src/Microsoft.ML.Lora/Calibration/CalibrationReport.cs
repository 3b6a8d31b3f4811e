namespace Microsoft.ML.Lora;

/// <summary>How well predicted probabilities match observed accuracy; computed by <see cref="CalibrationMetrics"/>. Immutable.</summary>
public sealed class CalibrationReport
{
    internal CalibrationReport(
        int count, double accuracy, double expectedCalibrationError, double maximumCalibrationError,
        double negativeLogLikelihood, double brierScore, IReadOnlyList<ReliabilityBin> bins)
    {
        Count = count;
        Accuracy = accuracy;
        ExpectedCalibrationError = expectedCalibrationError;
        MaximumCalibrationError = maximumCalibrationError;
        NegativeLogLikelihood = negativeLogLikelihood;
        BrierScore = brierScore;
        Bins = bins;
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>Fraction of examples whose highest-probability class (the first, on ties) is the label.</summary>
    public double Accuracy { get; }

    /// <summary>Expected calibration error: Σ over bins of |bin| / n · |accuracy(bin) − mean confidence(bin)|.</summary>
    public double ExpectedCalibrationError { get; }

    /// <summary>Maximum calibration error: the largest |accuracy(bin) − mean confidence(bin)| over non-empty bins.</summary>
    public double MaximumCalibrationError { get; }

    /// <summary>Mean of −ln p(label), each probability floored at 1e-12 so that a zero gives a large finite value.</summary>
    public double NegativeLogLikelihood { get; }

    /// <summary>Multi-class Brier score: mean over examples of Σ over classes of (p − 1[class = label])², between 0 and 2.</summary>
    public double BrierScore { get; }

    /// <summary>The reliability table: equal-width confidence bins from 0 to 1, in increasing order, empty bins included.</summary>
    public IReadOnlyList<ReliabilityBin> Bins { get; }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant(
        $"ECE {ExpectedCalibrationError:F4}, MCE {MaximumCalibrationError:F4}, NLL {NegativeLogLikelihood:F4}, Brier {BrierScore:F4}, accuracy {Accuracy:F4} over {Count} examples in {Bins.Count} bins");
}
