using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.TextClassification;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Does the library's temperature scaling make calibration worse? Works on a model's uncalibrated probabilities (their
/// logs are its logits up to a per-row constant, which softmax ignores), through the same public
/// <see cref="TemperatureScaling.FitCrossValidated(IReadOnlyList{float[]}, IReadOnlyList{int}, int)"/> that
/// <c>Calibrate</c> and <c>CalibrateScores</c> use, next to the plain maximum-likelihood fit it replaced.
/// </summary>
internal static class CalibrationCheck
{
    private const int BootstrapRounds = 200;

    /// <summary>ECE before and after calibration of one model, and how far apart noise alone puts them.</summary>
    public sealed record Outcome(double EceBefore, double EcePlain, double EceCrossValidated, double Noise, string Temperatures);

    /// <summary>
    /// Two-fold cross-fit on <paramref name="probabilities"/>: the temperature is fitted on one half (even rows, odd
    /// rows) and the ECE measured on the other, so no row is scored by a temperature fitted on itself. Noise is two
    /// bootstrap standard errors of the larger of the two ECE changes (temperatures held fixed, rows resampled).
    /// </summary>
    public static Outcome CrossFitted(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels)
    {
        var logits = probabilities.Select(Logits).ToArray();
        var halves = new[] { 0, 1 }.Select(h => Enumerable.Range(0, logits.Length).Where(i => i % 2 == h).ToArray()).ToArray();
        var plain = new float[logits.Length];
        var crossValidated = new float[logits.Length];
        var temperatures = new List<string>();
        for (int h = 0; h < 2; h++)
        {
            var fitRows = halves[1 - h];
            var fitLogits = fitRows.Select(i => logits[i]).ToList();
            var fitLabels = fitRows.Select(i => labels[i]).ToList();
            float tPlain = TemperatureScaling.Fit(fitLogits, fitLabels);
            var fit = TemperatureScaling.FitCrossValidated(fitLogits, fitLabels);
            foreach (int i in halves[h])
            {
                plain[i] = tPlain;
                crossValidated[i] = fit.Temperature;
            }
            temperatures.Add(string.Create(CultureInfo.InvariantCulture, $"{tPlain:F2}→{fit.Temperature:F2}"));
        }
        var ones = Enumerable.Repeat(1f, logits.Length).ToArray();
        double noise = 2 * Math.Max(BootstrapError(logits, labels, ones, plain), BootstrapError(logits, labels, ones, crossValidated));
        return new Outcome(Ece(logits, labels, ones), Ece(logits, labels, plain), Ece(logits, labels, crossValidated), noise, string.Join(", ", temperatures));
    }

    /// <summary>
    /// <c>classify --calibration</c>: the case of the issue, a 1,807/452 split of the sentiment set with 10% of the
    /// training rows (181) for validation. One LoRA model is trained; then temperatures are fitted on its validation
    /// rows, on 50 other random sets of 181 held-out rows, and on 2,000 held-out rows, and the 452 test rows scored.
    /// </summary>
    public static int SmallValidationSets(int? epochsOverride)
    {
        var ml = new MLContext(seed: 1);
        var all = BenchData.LoadSentiment(ml, BenchEnvironment.SentimentTrain);
        var rows = ml.Data.CreateEnumerable<BenchData.SentimentRow>(all, reuseRowObject: false).ToArray();
        new Random(11).Shuffle(rows);
        var test = rows[..452];
        var validation = rows[452..633];   // 10% of the 1,807 training rows
        var train = rows[633..2259];
        var pool = rows[2259..4259];        // never trained on: the other validation sets are drawn from it
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows));
        IDataView Keyed(IEnumerable<BenchData.SentimentRow> r) => ml.Data.Cache(keys.Transform(ml.Data.LoadFromEnumerable(r)));
        int epochs = epochsOverride ?? 2;
        Console.WriteLine($"Training LoRA r=8 all-linear on {train.Length:N0} rows ({epochs} epochs), validation {validation.Length}, test {test.Length}");
        var model = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = epochs, BatchSize = 32, LearningRate = 2e-3, MaxSequenceLength = 128,
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = 8, Alpha = 16, TargetAllLinear = true }), ValidationSet = Keyed(validation), Seed = 7,
        }).Fit(Keyed(train));

        (float[][] Logits, int[] Labels) Score(IEnumerable<BenchData.SentimentRow> r)
        {
            var scored = model.Transform(Keyed(r));
            return (scored.GetColumn<float[]>("Score").Select(Logits).ToArray(), scored.GetColumn<uint>("Label").Select(k => (int)k - 1).ToArray());
        }
        var (testLogits, testLabels) = Score(test);
        var (validationLogits, validationLabels) = Score(validation);
        var (poolLogits, poolLabels) = Score(pool);
        double eceAtOne = Ece(testLogits, testLabels, 1);
        var ones = Enumerable.Repeat(1f, testLogits.Length).ToArray();
        // Noise of one temperature's change: two bootstrap standard errors of test ECE(T) − ECE(1), rows resampled.
        double Noise(float t) => t == 1 ? 0 : 2 * BootstrapError(testLogits, testLabels, ones, Enumerable.Repeat(t, testLogits.Length).ToArray());

        var table = new ResultTable("Temperature scaling on small validation sets (sentiment, 1,807/452 split, 10% validation)",
            "validation rows", "fit", "T", "test ECE", "ECE change vs T = 1", "draws where ECE rose by more than noise", "draws keeping T = 1");
        void Row(string what, IReadOnlyList<(float[][] Logits, int[] Labels)> sets)
        {
            var plain = sets.Select(s => TemperatureScaling.Fit(s.Logits, s.Labels)).ToArray();
            var cv = sets.Select(s => TemperatureScaling.FitCrossValidated(s.Logits, s.Labels).Temperature).ToArray();
            foreach (var (name, ts) in new[] { ("plain (maximum likelihood)", plain), ("cross-validated (library)", cv) })
            {
                var eces = ts.Select(t => Ece(testLogits, testLabels, t)).ToArray();
                table.Add(what, name, ts.Length == 1 ? ts[0].ToString("F3", CultureInfo.InvariantCulture) : $"{ts.Min():F2}…{ts.Max():F2}",
                    eces.Average().ToString("F4", CultureInfo.InvariantCulture), (eces.Average() - eceAtOne).ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture),
                    $"{eces.Where((e, i) => e - eceAtOne > Noise(ts[i])).Count()}/{eces.Length}", $"{ts.Count(t => t == 1)}/{ts.Length}");
            }
        }
        Row($"{validation.Length} (the split's own)", [(validationLogits, validationLabels)]);
        var random = new Random(5);
        var draws = Enumerable.Range(0, 50).Select(_ =>
        {
            var pick = Enumerable.Range(0, poolLogits.Length).OrderBy(_ => random.Next()).Take(validation.Length).ToArray();
            return (pick.Select(i => poolLogits[i]).ToArray(), pick.Select(i => poolLabels[i]).ToArray());
        }).ToList();
        Row($"{validation.Length} (50 random draws from 2,000 held-out rows; mean)", draws);
        Row($"{poolLogits.Length:N0} held-out rows", [(poolLogits, poolLabels)]);
        table.Note(string.Create(CultureInfo.InvariantCulture,
            $"Test ECE at T = 1 (uncalibrated): {eceAtOne:F4} on {testLogits.Length} rows (15 bins). Noise of a draw: two bootstrap standard errors ({BootstrapRounds} resamples of the test rows) of its test-ECE change from T = 1; a rise within it is one {testLogits.Length} test rows cannot tell from chance."));
        table.Note("Plain: the maximum-likelihood temperature of the validation rows, what the library applied before. Cross-validated: TemperatureScaling.FitCrossValidated, which keeps T = 1 unless the fitted T lowers 5-fold held-out NLL by more than one standard error (what Calibrate and CalibrateScores now use).");
        if (epochsOverride is not null) table.Note($"--epochs {epochsOverride}.");
        table.Record("classify --calibration" + (epochsOverride is { } e ? $" --epochs {e}" : ""));
        return 0;
    }

    private static float[] Logits(float[] probabilities) => probabilities.Select(p => MathF.Log(MathF.Max(p, 1e-30f))).ToArray();

    private static double Ece(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, float temperature)
        => CalibrationMetrics.Compute(TemperatureScaling.ApplyTemperature(logits, temperature), labels).ExpectedCalibrationError;

    private static double Ece(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, float[] temperatures)
        => CalibrationMetrics.Compute(logits.Select((l, i) => TemperatureScaling.ApplyTemperature([l], temperatures[i])[0]).ToList(), labels).ExpectedCalibrationError;

    /// <summary>Bootstrap standard error of ECE(temperatures b) − ECE(temperatures a) over resampled rows.</summary>
    private static double BootstrapError(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, float[] a, float[] b)
    {
        var random = new Random(17);
        var pa = logits.Select((l, i) => TemperatureScaling.ApplyTemperature([l], a[i])[0]).ToArray();
        var pb = logits.Select((l, i) => TemperatureScaling.ApplyTemperature([l], b[i])[0]).ToArray();
        var differences = new double[BootstrapRounds];
        for (int round = 0; round < BootstrapRounds; round++)
        {
            var pick = Enumerable.Range(0, logits.Count).Select(_ => random.Next(logits.Count)).ToArray();
            var picked = pick.Select(i => labels[i]).ToList();
            differences[round] = CalibrationMetrics.Compute(pick.Select(i => pb[i]).ToList(), picked).ExpectedCalibrationError
                - CalibrationMetrics.Compute(pick.Select(i => pa[i]).ToList(), picked).ExpectedCalibrationError;
        }
        double mean = differences.Average();
        return Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (BootstrapRounds - 1));
    }
}
