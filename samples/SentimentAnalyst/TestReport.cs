using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Samples.Common;

namespace SentimentAnalyst;

/// <summary>Test-set metrics: accuracy, macro-F1, per-class precision/recall/F1 and calibration before and after temperature scaling.</summary>
public sealed record TestReport(
    int Rows, double Accuracy, double MacroF1, IReadOnlyList<ClassMetrics> Classes,
    CalibrationReport Before, CalibrationReport After, float Temperature)
{
    /// <summary>Builds the report from ML.NET's evaluation (its confusion matrix gives the per-class numbers).</summary>
    public static TestReport From(MulticlassClassificationMetrics metrics, IReadOnlyList<string> classNames,
        CalibrationReport before, CalibrationReport after, float temperature, int rows)
    {
        var cm = metrics.ConfusionMatrix;
        var classes = classNames.Select((name, i) =>
        {
            double p = cm.PerClassPrecision[i], r = cm.PerClassRecall[i];
            return new ClassMetrics(name, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0, (int)cm.Counts[i].Sum());
        }).ToList();
        return new TestReport(rows, metrics.MicroAccuracy, classes.Average(c => c.F1), classes, before, after, temperature);
    }

    /// <summary>Prints the report.</summary>
    public void WriteTo(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"Test set ({Rows.ToString("N0", CultureInfo.InvariantCulture)} rows):");
        output.WriteLine(Invariant($"  accuracy {Accuracy:F4}   macro-F1 {MacroF1:F4}"));
        var table = new TextTable("class", "precision", "recall", "F1", "support");
        foreach (var c in Classes)
            table.Add(c.Name, Invariant($"{c.Precision:F4}"), Invariant($"{c.Recall:F4}"), Invariant($"{c.F1:F4}"), c.Support.ToString(CultureInfo.InvariantCulture));
        table.WriteTo(output);
        output.WriteLine(Invariant($"  calibration (15 bins): ECE {Before.ExpectedCalibrationError:F4} before, {After.ExpectedCalibrationError:F4} after temperature scaling (T = {Temperature:F3}, fitted on the validation rows)"));
        output.WriteLine(Invariant($"                         NLL {Before.NegativeLogLikelihood:F4} before, {After.NegativeLogLikelihood:F4} after"));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One class's test metrics.</summary>
public sealed record ClassMetrics(string Name, double Precision, double Recall, double F1, int Support);
