using Microsoft.ML.Lora.Calibration;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Calibration;

public class TemperatureScalingTests(ITestOutputHelper output)
{
    private const int ClassCount = 4;

    /// <summary>
    /// Logits whose softmax is calibrated by construction (each label is drawn from softmax of its row), multiplied by
    /// <paramref name="scale"/>: scale 5 makes the model over-confident, and temperature 5 undoes it exactly.
    /// </summary>
    private static (float[] Logits, int[] Labels) SyntheticLogits(float scale, int rows = 20_000, int seed = 17)
    {
        var random = new Random(seed);
        var logits = new float[rows * ClassCount];
        var labels = new int[rows];
        var p = new double[ClassCount];
        for (int row = 0; row < rows; row++)
        {
            Span<float> z = logits.AsSpan(row * ClassCount, ClassCount);
            double sum = 0;
            for (int c = 0; c < ClassCount; c++)
            {
                // Box-Muller normal, standard deviation 1.5.
                double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                z[c] = (float)(1.5 * normal);
                p[c] = Math.Exp(z[c]);
                sum += p[c];
            }

            double u = random.NextDouble() * sum;
            int label = 0;
            while (label < ClassCount - 1 && (u -= p[label]) > 0)
            {
                label++;
            }

            labels[row] = label;
            for (int c = 0; c < ClassCount; c++)
            {
                z[c] *= scale;
            }
        }

        return (logits, labels);
    }

    [Fact]
    public void RecoversTheTemperatureOfOverConfidentLogitsAndLowersEce()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 5);

        float temperature = TemperatureScaling.Fit(logits, ClassCount, labels);

        Assert.InRange(temperature, 4.7f, 5.3f);
        CalibrationReport before = CalibrationMetrics.Compute(TemperatureScaling.ApplyTemperature(logits, ClassCount, 1), ClassCount, labels);
        CalibrationReport after = CalibrationMetrics.Compute(TemperatureScaling.ApplyTemperature(logits, ClassCount, temperature), ClassCount, labels);
        output.WriteLine($"T = {temperature}; before: {before}; after: {after}");
        Assert.True(before.ExpectedCalibrationError > 0.15, $"ECE before scaling: {before.ExpectedCalibrationError}");
        Assert.True(after.ExpectedCalibrationError < 0.02, $"ECE after scaling: {after.ExpectedCalibrationError}");
        Assert.True(after.NegativeLogLikelihood < before.NegativeLogLikelihood);
        Assert.Equal(before.Accuracy, after.Accuracy);
    }

    [Fact]
    public void RecoversATemperatureBelowOneForUnderConfidentLogits()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 0.5f);

        Assert.InRange(TemperatureScaling.Fit(logits, ClassCount, labels), 0.47f, 0.53f);
    }

    [Fact]
    public void TheFittedTemperatureMinimisesTheNll()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 3, rows: 2_000);

        float t = TemperatureScaling.Fit(logits, ClassCount, labels);

        double atOptimum = TemperatureScaling.NegativeLogLikelihood(logits, ClassCount, labels, t);
        Assert.True(atOptimum < TemperatureScaling.NegativeLogLikelihood(logits, ClassCount, labels, t * 1.01f));
        Assert.True(atOptimum < TemperatureScaling.NegativeLogLikelihood(logits, ClassCount, labels, t / 1.01f));
        Assert.Equal(t, TemperatureScaling.Fit(logits, ClassCount, labels)); // deterministic
    }

    [Fact]
    public void ScalingNeverChangesThePredictedClass()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 5, rows: 1_000);
        float t = TemperatureScaling.Fit(logits, ClassCount, labels);

        float[] scaled = TemperatureScaling.ApplyTemperature(logits, ClassCount, t);

        for (int row = 0; row < labels.Length; row++)
        {
            Assert.Equal(ArgMax(logits.AsSpan(row * ClassCount, ClassCount)), ArgMax(scaled.AsSpan(row * ClassCount, ClassCount)));
            Assert.Equal(1.0, scaled.AsSpan(row * ClassCount, ClassCount).ToArray().Sum(), 1e-5);
        }
    }

    [Fact]
    public void JaggedAndFlatInputsAgree()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 2, rows: 500);
        float[][] rows = logits.Chunk(ClassCount).ToArray();

        Assert.Equal(TemperatureScaling.Fit(logits, ClassCount, labels), TemperatureScaling.Fit(rows, labels));
        float[][] probabilities = TemperatureScaling.ApplyTemperature(rows, 2);
        Assert.Equal(TemperatureScaling.ApplyTemperature(logits, ClassCount, 2), probabilities.SelectMany(p => p));
    }

    [Fact]
    public void SeparableCorrectPredictionsHitTheLowestTemperature()
    {
        float[] logits = [4, 0, 0, 5, 3, 0];

        Assert.Equal(TemperatureScaling.MinTemperature, TemperatureScaling.Fit(logits, 2, [0, 1, 0]));
    }

    [Fact]
    public void ApplyTemperatureMatchesAHandComputedSoftmax()
    {
        float[] p = TemperatureScaling.ApplyTemperature([2f, 0f], 2, 2f);

        double expected = Math.Exp(1) / (Math.Exp(1) + 1); // softmax([1, 0])
        Assert.Equal(expected, p[0], 1e-6);
        Assert.Equal(1 - expected, p[1], 1e-6);
    }

    [Fact]
    public void BadLabelsAndNaNLogitsNameTheRow()
    {
        float[] logits = [1, 2, 3, 4, 5, 6, 7, 8, 9];

        var label = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(logits, 3, [0, 2, 3]));
        Assert.Contains("Label 3 at row 2", label.Message);
        Assert.Contains("[0, 3)", label.Message);

        var negative = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(logits, 3, [-1, 0, 0]));
        Assert.Contains("Label -1 at row 0", negative.Message);

        logits[4] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(logits, 3, [0, 1, 2]));
        Assert.Contains("Row 1, class 1", nan.Message);
        Assert.Contains("NaN", nan.Message);

        var applyNan = Assert.Throws<ArgumentException>(() => TemperatureScaling.ApplyTemperature(logits, 3, 1));
        Assert.Contains("Row 1", applyNan.Message);

        var size = Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(new float[8], 3, [0, 1, 2]));
        Assert.Contains("Got 8 logits values for 3 labels and 3 classes", size.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureScaling.ApplyTemperature([1f, 2f], 2, 0));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
