using System.Globalization;

namespace Microsoft.ML.Lora.Calibration;

/// <summary>
/// Temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural Networks"): one scalar T &gt; 0 divides all
/// logits so that softmax(logits / T) is better calibrated. T is fitted on held-out logits by minimising the mean
/// negative log-likelihood; dividing by T never changes which class has the highest score.
/// </summary>
internal static class TemperatureScaling
{
    /// <summary>The smallest temperature <see cref="Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/> returns: e^-3 ≈ 0.0498.</summary>
    public static readonly float MinTemperature = MathF.Exp(-3);

    /// <summary>The largest temperature <see cref="Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/> returns: e^3 ≈ 20.09.</summary>
    public static readonly float MaxTemperature = MathF.Exp(3);

    private const int MaxIterations = 200;

    /// <summary>Fits the temperature that minimises the mean negative log-likelihood of softmax(logits / T).</summary>
    /// <remarks>
    /// The mean NLL is convex in β = 1/T and its derivative in β is increasing, so the optimum is the root of that
    /// derivative; it is found by Newton's method safeguarded by bisection inside [1/<see cref="MaxTemperature"/>,
    /// 1/<see cref="MinTemperature"/>], in double precision. The result is deterministic. When the optimum lies outside
    /// that range (for example all examples are correct and separable, which pushes T towards 0) the nearest bound is returned.
    /// </remarks>
    /// <param name="logits">Row-major logits, <paramref name="classCount"/> per example.</param>
    /// <param name="classCount">Number of classes, at least 2.</param>
    /// <param name="labels">The true class of each example, in [0, <paramref name="classCount"/>).</param>
    /// <returns>The fitted temperature, in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>].</returns>
    /// <exception cref="ArgumentException">Sizes disagree, a label is out of range or a logit is not finite; the message names the row.</exception>
    public static float Fit(ReadOnlySpan<float> logits, int classCount, ReadOnlySpan<int> labels)
    {
        ClassScores.Validate(logits, classCount, labels, nameof(logits), probabilities: false);

        double low = 1.0 / MaxTemperature;
        double high = 1.0 / MinTemperature;
        var (slopeAtLow, _) = Derivatives(logits, classCount, labels, low);
        if (slopeAtLow >= 0)
        {
            return MaxTemperature;
        }

        var (slopeAtHigh, _) = Derivatives(logits, classCount, labels, high);
        if (slopeAtHigh <= 0)
        {
            return MinTemperature;
        }

        // The slope is negative at `low` and positive at `high`; each step keeps the root between them.
        double beta = Math.Sqrt(low * high);
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            var (slope, curvature) = Derivatives(logits, classCount, labels, beta);
            if (slope == 0)
            {
                break;
            }

            if (slope < 0)
            {
                low = beta;
            }
            else
            {
                high = beta;
            }

            double next = curvature > 0 ? beta - slope / curvature : double.NaN;
            if (!(next > low && next < high))
            {
                // Bisect in log space: the bracket spans orders of magnitude.
                next = Math.Sqrt(low * high);
            }

            bool converged = Math.Abs(next - beta) <= 1e-12 * beta || high - low <= 1e-12 * low;
            beta = next;
            if (converged)
            {
                break;
            }
        }

        return (float)Math.Clamp(1.0 / beta, MinTemperature, MaxTemperature);
    }

    /// <summary>Fits the temperature on logits given as one array per example.</summary>
    /// <param name="logits">One array of logits per example, all of the same length (the number of classes, at least 2).</param>
    /// <param name="labels">The true class of each example.</param>
    /// <returns>The fitted temperature; see <see cref="Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>.</returns>
    /// <exception cref="ArgumentException">Rows differ in length, sizes disagree, a label is out of range or a logit is not finite; the message names the row.</exception>
    public static float Fit(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels)
    {
        float[] flat = ClassScores.Flatten(logits, nameof(logits), out int classCount);
        return Fit(flat, classCount, ClassScores.ToArray(labels, nameof(labels)));
    }

    /// <summary>The fewest rows <see cref="FitCrossValidated(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/> fits a temperature on; below it T stays 1.</summary>
    public const int MinCrossValidationRows = 50;

    /// <summary>
    /// Fits a temperature and keeps it only if it beats T = 1 on rows it was not fitted on: the rows are split into
    /// <paramref name="folds"/> folds (row i in fold i mod folds), each fold is scored under the temperature fitted on the
    /// others and under T = 1, and the fitted temperature is used only when it lowers the held-out negative log-likelihood
    /// by more than one standard error of the per-row difference (the one-standard-error rule of model selection).
    /// </summary>
    /// <remarks>
    /// On a few hundred validation rows the maximum-likelihood temperature is noisy, and applying a noisy temperature to a
    /// model that was already close to calibrated makes test calibration worse. The cross-validated comparison asks the
    /// validation rows themselves whether the temperature generalises; a clearly over- or under-confident model passes it
    /// easily, a nearly calibrated one keeps its scores. Fewer than <see cref="MinCrossValidationRows"/> rows always keep
    /// T = 1. The result is deterministic.
    /// </remarks>
    /// <param name="logits">Row-major logits, <paramref name="classCount"/> per example.</param>
    /// <param name="classCount">Number of classes, at least 2.</param>
    /// <param name="labels">The true class of each example, in [0, <paramref name="classCount"/>).</param>
    /// <param name="folds">Number of cross-validation folds, at least 2.</param>
    /// <returns>The temperature to use, the fitted one and the reason (<see cref="TemperatureFit.Reason"/>).</returns>
    /// <exception cref="ArgumentException">Sizes disagree, a label is out of range, a logit is not finite, or fewer than 2 folds.</exception>
    public static TemperatureFit FitCrossValidated(ReadOnlySpan<float> logits, int classCount, ReadOnlySpan<int> labels, int folds = 5)
    {
        if (folds < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds, "Expected at least 2 cross-validation folds.");
        }

        float fitted = Fit(logits, classCount, labels);
        int n = labels.Length;
        if (n < MinCrossValidationRows)
        {
            return new TemperatureFit(1, fitted, false, n, double.NaN, double.NaN, double.NaN, TemperatureFit.Format(
                $"Temperature kept at 1: {n} validation rows are too few to tell a temperature from noise (at least {MinCrossValidationRows} needed; the rows alone would give T = {fitted:F3})."));
        }

        // Per-row held-out NLL differences: NLL under the temperature fitted without the row's fold, minus NLL at T = 1.
        var differences = new double[n];
        double heldOut = 0, atOne = 0;
        for (int fold = 0; fold < folds; fold++)
        {
            var (trainLogits, trainLabels) = RowsOutsideFold(logits, classCount, labels, folds, fold);
            double beta = 1.0 / Fit(trainLogits, classCount, trainLabels);
            for (int row = fold; row < n; row += folds)
            {
                ReadOnlySpan<float> z = logits.Slice(row * classCount, classCount);
                double withT = RowNll(z, labels[row], beta), withOne = RowNll(z, labels[row], 1);
                differences[row] = withT - withOne;
                heldOut += withT;
                atOne += withOne;
            }
        }

        heldOut /= n;
        atOne /= n;
        double mean = differences.Average();
        double variance = differences.Sum(d => (d - mean) * (d - mean)) / (n - 1);
        double standardError = Math.Sqrt(variance / n);
        bool helps = mean + standardError < 0;
        string reason = helps
            ? TemperatureFit.Format($"Temperature scaling on {n} validation rows: T = {fitted:F3} (held-out NLL {heldOut:F4} vs {atOne:F4} at T = 1 in {folds}-fold cross-validation; gain {-mean:F4} > standard error {standardError:F4}).")
            : TemperatureFit.Format($"Temperature kept at 1: on {n} validation rows the fitted T = {fitted:F3} did not beat T = 1 on held-out folds by more than noise (NLL {heldOut:F4} vs {atOne:F4} in {folds}-fold cross-validation; gain {-mean:F4}, standard error {standardError:F4}).");
        return new TemperatureFit(helps ? fitted : 1, fitted, helps, n, heldOut, atOne, standardError, reason);
    }

    /// <summary>The cross-validated fit of logits given as one array per example; see <see cref="FitCrossValidated(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>.</summary>
    /// <param name="logits">One array of logits per example, all of the same length (the number of classes, at least 2).</param>
    /// <param name="labels">The true class of each example.</param>
    /// <param name="folds">Number of cross-validation folds, at least 2.</param>
    /// <returns>The temperature to use, the fitted one and the reason.</returns>
    /// <exception cref="ArgumentException">Rows differ in length, sizes disagree, a label is out of range or a logit is not finite.</exception>
    public static TemperatureFit FitCrossValidated(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, int folds = 5)
    {
        float[] flat = ClassScores.Flatten(logits, nameof(logits), out int classCount);
        return FitCrossValidated(flat, classCount, ClassScores.ToArray(labels, nameof(labels)), folds);
    }

    private static (float[] Logits, int[] Labels) RowsOutsideFold(ReadOnlySpan<float> logits, int classCount, ReadOnlySpan<int> labels, int folds, int fold)
    {
        int n = labels.Length, inFold = (n - fold + folds - 1) / folds;
        var keptLogits = new float[(n - inFold) * classCount];
        var keptLabels = new int[n - inFold];
        int kept = 0;
        for (int row = 0; row < n; row++)
        {
            if (row % folds == fold)
            {
                continue;
            }

            logits.Slice(row * classCount, classCount).CopyTo(keptLogits.AsSpan(kept * classCount, classCount));
            keptLabels[kept++] = labels[row];
        }

        return (keptLogits, keptLabels);
    }

    /// <summary>−ln softmax(β·z)[label] of one row, computed stably.</summary>
    private static double RowNll(ReadOnlySpan<float> z, int label, double beta)
    {
        double max = double.NegativeInfinity;
        foreach (float value in z)
        {
            max = Math.Max(max, beta * value);
        }

        double sum = 0;
        foreach (float value in z)
        {
            sum += Math.Exp(beta * value - max);
        }

        return max + Math.Log(sum) - beta * z[label];
    }

    /// <summary>Computes softmax(logits / <paramref name="temperature"/>) row by row.</summary>
    /// <param name="logits">Row-major logits, <paramref name="classCount"/> per example.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="temperature">The temperature, a finite number &gt; 0.</param>
    /// <returns>Row-major probabilities, the same shape as <paramref name="logits"/>.</returns>
    /// <exception cref="ArgumentException">The temperature is not positive, the length is not a multiple of the class count, or a logit is not finite (the message names the row).</exception>
    public static float[] ApplyTemperature(ReadOnlySpan<float> logits, int classCount, float temperature)
    {
        CheckTemperature(temperature);
        if (classCount < 1 || logits.Length % classCount != 0)
        {
            throw new ArgumentException(
                $"Got {logits.Length} logits for {classCount} classes; expected a positive class count that divides the number of logits.", nameof(classCount));
        }

        var probabilities = new float[logits.Length];
        int rows = logits.Length / classCount;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<float> z = logits.Slice(row * classCount, classCount);
            foreach (float value in z)
            {
                if (!float.IsFinite(value))
                {
                    throw new ArgumentException($"Row {row} of {nameof(logits)} holds {value.ToString(CultureInfo.InvariantCulture)}; expected finite logits.", nameof(logits));
                }
            }

            Softmax.Write(z, probabilities.AsSpan(row * classCount, classCount), temperature);
        }

        return probabilities;
    }

    /// <summary>Computes softmax(logits / <paramref name="temperature"/>) for logits given as one array per example.</summary>
    /// <param name="logits">One array of logits per example, all of the same length.</param>
    /// <param name="temperature">The temperature, a finite number &gt; 0.</param>
    /// <returns>One array of probabilities per example.</returns>
    /// <exception cref="ArgumentException">The temperature is not positive, rows differ in length, or a logit is not finite.</exception>
    public static float[][] ApplyTemperature(IReadOnlyList<float[]> logits, float temperature)
    {
        float[] flat = ClassScores.Flatten(logits, nameof(logits), out int classCount);
        float[] probabilities = ApplyTemperature(flat, classCount, temperature);
        return probabilities.Chunk(classCount).ToArray();
    }

    /// <summary>The mean negative log-likelihood (natural log) of the labels under softmax(logits / <paramref name="temperature"/>).</summary>
    /// <param name="logits">Row-major logits, <paramref name="classCount"/> per example.</param>
    /// <param name="classCount">Number of classes, at least 2.</param>
    /// <param name="labels">The true class of each example.</param>
    /// <param name="temperature">The temperature, a finite number &gt; 0; 1 leaves the logits as they are.</param>
    /// <returns>The mean NLL in nats.</returns>
    /// <exception cref="ArgumentException">Sizes disagree, a label is out of range, a logit is not finite (the message names the row), or the temperature is not positive.</exception>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int classCount, ReadOnlySpan<int> labels, float temperature = 1)
    {
        CheckTemperature(temperature);
        ClassScores.Validate(logits, classCount, labels, nameof(logits), probabilities: false);
        double beta = 1.0 / temperature;
        double total = 0;
        for (int row = 0; row < labels.Length; row++)
        {
            total += RowNll(logits.Slice(row * classCount, classCount), labels[row], beta);
        }

        return total / labels.Length;
    }

    /// <summary>
    /// First and second derivatives in β of the mean NLL of softmax(β·logits): the mean of E_p[z] − z_label and the mean of Var_p[z].
    /// </summary>
    private static (double Slope, double Curvature) Derivatives(ReadOnlySpan<float> logits, int classCount, ReadOnlySpan<int> labels, double beta)
    {
        double slope = 0;
        double curvature = 0;
        for (int row = 0; row < labels.Length; row++)
        {
            ReadOnlySpan<float> z = logits.Slice(row * classCount, classCount);
            double max = double.NegativeInfinity;
            foreach (float value in z)
            {
                max = Math.Max(max, value);
            }

            // Centring on the row's maximum keeps exp() in range and the variance free of cancellation.
            double weightSum = 0, mean = 0, meanSquare = 0;
            foreach (float value in z)
            {
                double centred = value - max;
                double weight = Math.Exp(beta * centred);
                weightSum += weight;
                mean += weight * centred;
                meanSquare += weight * centred * centred;
            }

            mean /= weightSum;
            meanSquare /= weightSum;
            slope += mean - (z[labels[row]] - max);
            curvature += Math.Max(0, meanSquare - mean * mean);
        }

        return (slope / labels.Length, curvature / labels.Length);
    }

    private static void CheckTemperature(float temperature)
    {
        if (!(temperature > 0) || !float.IsFinite(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Expected a finite temperature > 0.");
        }
    }
}
