namespace Microsoft.ML.Lora;

/// <summary>Entity-level precision, recall and F1 for one entity type (or, in <see cref="NerMetrics"/>, for all types together).</summary>
public sealed class EntityTypeMetrics
{
    internal EntityTypeMetrics(int support, int predictedCount, int correctCount)
    {
        Support = support;
        PredictedCount = predictedCount;
        CorrectCount = correctCount;
        Precision = Ratio(correctCount, predictedCount);
        Recall = Ratio(correctCount, support);
        F1 = HarmonicMean(Precision, Recall);
    }

    /// <summary>Number of gold entities of this type.</summary>
    public int Support { get; }

    /// <summary>Number of predicted entities of this type.</summary>
    public int PredictedCount { get; }

    /// <summary>Number of predicted entities that match a gold entity exactly (same first word, last word and type).</summary>
    public int CorrectCount { get; }

    /// <summary><see cref="CorrectCount"/> / <see cref="PredictedCount"/>; 0 when nothing was predicted.</summary>
    public double Precision { get; }

    /// <summary><see cref="CorrectCount"/> / <see cref="Support"/>; 0 when there are no gold entities.</summary>
    public double Recall { get; }

    /// <summary>2·P·R / (P + R); 0 when precision and recall are both 0.</summary>
    public double F1 { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        FormattableString.Invariant($"P {Precision:F4} R {Recall:F4} F1 {F1:F4} (gold {Support}, predicted {PredictedCount}, correct {CorrectCount})");

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static double HarmonicMean(double precision, double recall) =>
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
}
