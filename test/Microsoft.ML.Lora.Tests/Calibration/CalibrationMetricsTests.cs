using Microsoft.ML.Lora.Calibration;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Calibration;

public class CalibrationMetricsTests
{
    private const double Tolerance = 1e-6;

    /// <summary>A 3-class row whose highest probability is <paramref name="confidence"/>, on class 0.</summary>
    private static float[] Row(float confidence) => [confidence, (1 - confidence) / 2, (1 - confidence) / 2];

    [Fact]
    public void EceMceAndTheReliabilityTableMatchHandComputedValues()
    {
        // 15 bins. Bin 13 = (13/15, 14/15]: confidences 0.88, 0.92, 0.88, 0.92 (mean 0.9), 3 of 4 correct: gap 0.15.
        // Bin 8 = (8/15, 9/15]: 0.55 twice, both correct: gap 0.45. Bin 5 = (5/15, 6/15]: 0.35 four times, 1 correct: gap 0.1.
        // ECE = 4/10 · 0.15 + 2/10 · 0.45 + 4/10 · 0.1 = 0.19; MCE = 0.45; accuracy 6/10. Label 1 marks a wrong prediction.
        float[][] probabilities =
        [
            Row(0.88f), Row(0.92f), Row(0.88f), Row(0.92f),
            Row(0.55f), Row(0.55f),
            Row(0.35f), Row(0.35f), Row(0.35f), Row(0.35f),
        ];
        int[] labels = [0, 0, 0, 1, 0, 0, 0, 1, 1, 1];

        CalibrationReport report = CalibrationMetrics.Compute(probabilities, labels);

        Assert.Equal(0.19, report.ExpectedCalibrationError, Tolerance);
        Assert.Equal(0.45, report.MaximumCalibrationError, Tolerance);
        Assert.Equal(0.6, report.Accuracy, Tolerance);
        Assert.Equal(10, report.Count);
        Assert.Equal(15, report.Bins.Count);
        Assert.Equal([0, 0, 0, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 4, 0], report.Bins.Select(b => b.Count));

        ReliabilityBin high = report.Bins[13];
        Assert.Equal(13.0 / 15, high.Lower, 1e-15);
        Assert.Equal(14.0 / 15, high.Upper, 1e-15);
        Assert.Equal(0.9, high.MeanConfidence, Tolerance);
        Assert.Equal(0.75, high.Accuracy, Tolerance);
        Assert.Equal(0.15, high.Gap, Tolerance);
        Assert.Equal((1.0, 0.55), (report.Bins[8].Accuracy, Math.Round(report.Bins[8].MeanConfidence, 6)));
        Assert.Equal((0.0, 0.0), (report.Bins[0].Accuracy, report.Bins[0].MeanConfidence));

        // NLL and Brier from the rows: a correct row scores −ln c and (1−c)² + 2·((1−c)/2)²; a wrong one (label 1)
        // −ln((1−c)/2) and c² + ((1−c)/2 − 1)² + ((1−c)/2)².
        double nll = 0, brier = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double c = probabilities[i][0], other = probabilities[i][1];
            nll += labels[i] == 0 ? -Math.Log(c) : -Math.Log(other);
            brier += labels[i] == 0
                ? (1 - c) * (1 - c) + 2 * other * other
                : c * c + (other - 1) * (other - 1) + other * other;
        }

        Assert.Equal(nll / 10, report.NegativeLogLikelihood, Tolerance);
        Assert.Equal(brier / 10, report.BrierScore, Tolerance);
    }

    [Fact]
    public void BinsAreOpenBelowAndClosedAboveWithZeroInTheFirstBin()
    {
        // Two bins, (0, 0.5] and (0.5, 1]: 0.5 belongs to the first, 1 to the last, and a confidence of 0 to the first.
        float[] probabilities = [0.5f, 0.5f, 1f, 0f, 0f, 0f, 0.75f, 0.25f];
        int[] labels = [0, 0, 1, 1];

        CalibrationReport report = CalibrationMetrics.Compute(probabilities, 2, labels, binCount: 2);

        Assert.Equal([2, 2], report.Bins.Select(b => b.Count));
        Assert.Equal(0.25, report.Bins[0].MeanConfidence, Tolerance); // (0.5 + 0) / 2
        Assert.Equal(0.5, report.Bins[0].Accuracy, Tolerance);        // row 0 right, row 2 (argmax 0, label 1) wrong
        Assert.Equal(0.875, report.Bins[1].MeanConfidence, Tolerance);
        Assert.Equal(0.5, report.Bins[1].Accuracy, Tolerance);
        Assert.Equal(0.5 * 0.25 + 0.5 * 0.375, report.ExpectedCalibrationError, Tolerance);
        Assert.Equal(0.375, report.MaximumCalibrationError, Tolerance);
    }

    [Fact]
    public void PerfectCalibrationScoresZero()
    {
        // Confidence 0.8 on each row, 4 of 5 correct.
        float[][] probabilities = Enumerable.Repeat(new[] { 0.8f, 0.2f }, 5).ToArray();

        CalibrationReport report = CalibrationMetrics.Compute(probabilities, [0, 0, 0, 0, 1]);

        Assert.Equal(0, report.ExpectedCalibrationError, Tolerance);
        Assert.Equal(0, report.MaximumCalibrationError, Tolerance);
    }

    [Fact]
    public void BadInputIsReportedWithTheRow()
    {
        float[] probabilities = [0.9f, 0.1f, 0.2f, 0.8f, 0.5f, 0.5f];

        var label = Assert.Throws<ArgumentException>(() => CalibrationMetrics.Compute(probabilities, 2, [0, 5, 1]));
        Assert.Contains("Label 5 at row 1", label.Message);

        probabilities[5] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => CalibrationMetrics.Compute(probabilities, 2, [0, 1, 1]));
        Assert.Contains("Row 2, class 1", nan.Message);

        probabilities[5] = 1.5f;
        var range = Assert.Throws<ArgumentException>(() => CalibrationMetrics.Compute(probabilities, 2, [0, 1, 1]));
        Assert.Contains("1.5", range.Message);

        var ragged = Assert.Throws<ArgumentException>(
            () => CalibrationMetrics.Compute([[0.5f, 0.5f], [1f]], [0, 0]));
        Assert.Contains("Row 1", ragged.Message);

        Assert.Throws<ArgumentException>(() => CalibrationMetrics.Compute([0.5f, 0.5f], 2, []));
    }
}
