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
            ReadOnlySpan<float> z = logits.Slice(row * classCount, classCount);
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

            total += max + Math.Log(sum) - beta * z[labels[row]];
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
