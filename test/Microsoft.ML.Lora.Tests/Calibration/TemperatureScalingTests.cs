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

    [Fact]
    public void CrossValidatedFitKeepsTheTemperatureOfAClearlyOverConfidentModelOnFewRows()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 3, rows: 181);

        TemperatureFit fit = TemperatureScaling.FitCrossValidated(logits, ClassCount, labels);

        output.WriteLine(fit.Reason);
        Assert.True(fit.Applied, fit.Reason);
        Assert.Equal(TemperatureScaling.Fit(logits, ClassCount, labels), fit.Temperature);
        Assert.InRange(fit.Temperature, 2f, 4.5f);
        Assert.True(fit.HeldOutNegativeLogLikelihood < fit.HeldOutNegativeLogLikelihoodAtOne - fit.StandardError);
        Assert.StartsWith("Temperature scaling on 181 validation rows: T = ", fit.Reason);
    }

    [Fact]
    public void CrossValidatedFitAppliesAModerateTemperatureOnceThereAreEnoughRowsToSeeIt()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 1.5f, rows: 1_000, seed: 8);

        TemperatureFit fit = TemperatureScaling.FitCrossValidated(logits, ClassCount, labels);

        Assert.True(fit.Applied, fit.Reason);
        Assert.InRange(fit.Temperature, 1.3f, 1.7f);
    }

    /// <summary>
    /// The case the cross-validated fit exists for: a model that is already calibrated, a validation set of 181 rows (10% of
    /// 1,807). The plain fit applies whatever temperature those rows happen to give; over 60 such validation sets it makes
    /// the calibration of a large test set worse on average, the cross-validated fit keeps T = 1 nearly always and does not.
    /// </summary>
    [Fact]
    public void CrossValidatedFitOnSmallValidationSetsOfACalibratedModelDoesNotMakeTestCalibrationWorse()
    {
        (float[] testLogits, int[] testLabels) = SyntheticLogits(scale: 1, rows: 20_000, seed: 99);
        double testNllAtOne = TemperatureScaling.NegativeLogLikelihood(testLogits, ClassCount, testLabels, 1);
        double eceAtOne = Ece(testLogits, testLabels, 1);
        int kept = 0;
        double plainNll = 0, robustNll = 0, plainEce = 0, robustEce = 0;
        const int sets = 60;
        for (int seed = 0; seed < sets; seed++)
        {
            (float[] logits, int[] labels) = SyntheticLogits(scale: 1, rows: 181, seed: 1000 + seed);
            float plain = TemperatureScaling.Fit(logits, ClassCount, labels);
            TemperatureFit fit = TemperatureScaling.FitCrossValidated(logits, ClassCount, labels);
            Assert.Equal(plain, fit.FittedTemperature);
            if (!fit.Applied) kept++;
            plainNll += TemperatureScaling.NegativeLogLikelihood(testLogits, ClassCount, testLabels, plain) / sets;
            robustNll += TemperatureScaling.NegativeLogLikelihood(testLogits, ClassCount, testLabels, fit.Temperature) / sets;
            plainEce += Ece(testLogits, testLabels, plain) / sets;
            robustEce += Ece(testLogits, testLabels, fit.Temperature) / sets;
        }

        output.WriteLine($"T = 1 kept on {kept}/{sets}; test NLL {testNllAtOne:F5} at T = 1, plain fit {plainNll:F5}, cross-validated {robustNll:F5}; test ECE {eceAtOne:F4} at T = 1, plain {plainEce:F4}, cross-validated {robustEce:F4}");
        Assert.True(kept >= sets * 3 / 4, $"kept T = 1 on only {kept} of {sets} validation sets");
        Assert.True(plainNll > testNllAtOne, "a noisy temperature should cost test NLL on a calibrated model");
        Assert.True(robustNll < plainNll, $"cross-validated {robustNll} vs plain {plainNll}");
        Assert.True(robustEce < plainEce, $"cross-validated ECE {robustEce} vs plain {plainEce}");
        Assert.True(robustEce - eceAtOne < 0.5 * (plainEce - eceAtOne), $"ECE rise {robustEce - eceAtOne} vs plain fit's {plainEce - eceAtOne}");
    }

    [Fact]
    public void CrossValidatedFitKeepsOneBelowTheMinimumRowsAndSaysWhy()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 5, rows: TemperatureScaling.MinCrossValidationRows - 1);

        TemperatureFit fit = TemperatureScaling.FitCrossValidated(logits, ClassCount, labels);

        Assert.Equal(1f, fit.Temperature);
        Assert.False(fit.Applied);
        Assert.True(fit.FittedTemperature > 2, $"the rows alone give T = {fit.FittedTemperature}");
        Assert.True(double.IsNaN(fit.HeldOutNegativeLogLikelihood));
        Assert.Contains("49 validation rows are too few", fit.Reason);
        Assert.Contains("at least 50 needed", fit.Reason);
    }

    [Fact]
    public void CrossValidatedFitIsDeterministicAndJaggedInputAgrees()
    {
        (float[] logits, int[] labels) = SyntheticLogits(scale: 1.3f, rows: 400, seed: 5);

        TemperatureFit a = TemperatureScaling.FitCrossValidated(logits, ClassCount, labels);
        TemperatureFit b = TemperatureScaling.FitCrossValidated(logits.Chunk(ClassCount).ToArray(), labels);

        Assert.Equal(a.Temperature, b.Temperature);
        Assert.Equal(a.HeldOutNegativeLogLikelihood, b.HeldOutNegativeLogLikelihood);
        Assert.Equal(a.Reason, b.Reason);
        Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureScaling.FitCrossValidated(logits, ClassCount, labels, folds: 1));
    }

    private static double Ece(float[] logits, int[] labels, float temperature)
        => CalibrationMetrics.Compute(TemperatureScaling.ApplyTemperature(logits, ClassCount, temperature), ClassCount, labels).ExpectedCalibrationError;

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
