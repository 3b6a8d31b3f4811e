using Microsoft.ML.Lora.Calibration;

namespace Microsoft.ML.Lora;

/// <summary>
/// Calibration metrics of predicted class probabilities: expected and maximum calibration error over equal-width confidence
/// bins, negative log-likelihood, Brier score and a reliability table.
/// </summary>
/// <remarks>
/// Binning follows Guo et al. (2017) and torchmetrics' calibration error: an example's confidence is its highest class
/// probability, and bin i of B holds the confidences in (i/B, (i+1)/B]; a confidence of exactly 0 goes in the first bin.
/// Bin edges are computed in double precision.
/// </remarks>
public static class CalibrationMetrics
{
    /// <summary>The number of bins used unless told otherwise, as in Guo et al. (2017).</summary>
    public const int DefaultBinCount = 15;

    private const double ProbabilityFloor = 1e-12;

    /// <summary>Computes the calibration report of row-major class probabilities.</summary>
    /// <param name="probabilities">Row-major probabilities, <paramref name="classCount"/> per example, each in [0, 1].</param>
    /// <param name="classCount">Number of classes, at least 2.</param>
    /// <param name="labels">The true class of each example, in [0, <paramref name="classCount"/>).</param>
    /// <param name="binCount">Number of equal-width confidence bins.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">Sizes disagree, a label is out of range, or a probability is not in [0, 1] or NaN; the message names the row.</exception>
    public static CalibrationReport Compute(ReadOnlySpan<float> probabilities, int classCount, ReadOnlySpan<int> labels, int binCount = DefaultBinCount)
    {
        if (binCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(binCount), binCount, "Expected at least one bin.");
        }

        ClassScores.Validate(probabilities, classCount, labels, nameof(probabilities), probabilities: true);

        var edges = new double[binCount + 1];
        for (int i = 0; i <= binCount; i++)
        {
            edges[i] = (double)i / binCount;
        }

        var counts = new int[binCount];
        var confidenceSums = new double[binCount];
        var correctCounts = new int[binCount];
        double nllSum = 0, brierSum = 0;
        int correct = 0;
        int n = labels.Length;
        for (int row = 0; row < n; row++)
        {
            ReadOnlySpan<float> p = probabilities.Slice(row * classCount, classCount);
            int label = labels[row];
            int predicted = 0;
            for (int c = 1; c < classCount; c++)
            {
                if (p[c] > p[predicted])
                {
                    predicted = c;
                }
            }

            double confidence = p[predicted];
            int bin = BinOf(confidence, edges);
            counts[bin]++;
            confidenceSums[bin] += confidence;
            if (predicted == label)
            {
                correctCounts[bin]++;
                correct++;
            }

            nllSum -= Math.Log(Math.Max(p[label], ProbabilityFloor));
            for (int c = 0; c < classCount; c++)
            {
                double difference = p[c] - (c == label ? 1.0 : 0.0);
                brierSum += difference * difference;
            }
        }

        var bins = new ReliabilityBin[binCount];
        double ece = 0, mce = 0;
        for (int i = 0; i < binCount; i++)
        {
            int count = counts[i];
            double meanConfidence = count == 0 ? 0 : confidenceSums[i] / count;
            double accuracy = count == 0 ? 0 : (double)correctCounts[i] / count;
            bins[i] = new ReliabilityBin(edges[i], edges[i + 1], count, meanConfidence, accuracy);
            if (count > 0)
            {
                ece += (double)count / n * bins[i].Gap;
                mce = Math.Max(mce, bins[i].Gap);
            }
        }

        return new CalibrationReport(n, (double)correct / n, ece, mce, nllSum / n, brierSum / n, bins);
    }

    /// <summary>Computes the calibration report of probabilities given as one array per example.</summary>
    /// <param name="probabilities">One array of class probabilities per example, all of the same length (at least 2).</param>
    /// <param name="labels">The true class of each example.</param>
    /// <param name="binCount">Number of equal-width confidence bins.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">Rows differ in length, sizes disagree, a label is out of range, or a probability is not in [0, 1]; the message names the row.</exception>
    public static CalibrationReport Compute(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int binCount = DefaultBinCount)
    {
        float[] flat = ClassScores.Flatten(probabilities, nameof(probabilities), out int classCount);
        return Compute(flat, classCount, ClassScores.ToArray(labels, nameof(labels)), binCount);
    }

    /// <summary>The bin i whose range (edges[i], edges[i + 1]] holds the confidence; 0 for a confidence of 0.</summary>
    private static int BinOf(double confidence, double[] edges)
    {
        int binCount = edges.Length - 1;
        int bin = Math.Clamp((int)Math.Ceiling(confidence * binCount) - 1, 0, binCount - 1);

        // The product can round across an edge; compare with the edges themselves so the table's ranges are exact.
        while (bin > 0 && confidence <= edges[bin])
        {
            bin--;
        }

        while (bin < binCount - 1 && confidence > edges[bin + 1])
        {
            bin++;
        }

        return bin;
    }
}
