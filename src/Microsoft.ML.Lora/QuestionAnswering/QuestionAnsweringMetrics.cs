using Microsoft.ML.Lora.QuestionAnswering;

namespace Microsoft.ML.Lora;

/// <summary>
/// SQuAD v1.1 metrics of predicted answers, computed as the official <c>evaluate-v1.1.py</c> does: each prediction is
/// compared with every reference answer of its question after normalisation (lower-case, punctuation and the articles
/// a/an/the removed, whitespace collapsed), the best exact match and the best token F1 count, and both are averaged over
/// the questions, in percent.
/// </summary>
public sealed class QuestionAnsweringMetrics
{
    internal QuestionAnsweringMetrics(double exactMatch, double f1, int questionCount)
    {
        ExactMatch = exactMatch;
        F1 = f1;
        QuestionCount = questionCount;
    }

    /// <summary>Percentage of questions whose normalised prediction equals a normalised reference (0–100).</summary>
    public double ExactMatch { get; }

    /// <summary>Mean over questions of the best token F1 against the references, in percent (0–100).</summary>
    public double F1 { get; }

    /// <summary>Number of questions scored.</summary>
    public int QuestionCount { get; }

    /// <summary>
    /// The metrics of <paramref name="predictions"/>, each paired with its question's reference answers (at least one each).
    /// </summary>
    /// <exception cref="ArgumentException">A question has no reference answer (the message gives its index).</exception>
    public static QuestionAnsweringMetrics Compute(IEnumerable<(string Prediction, IReadOnlyList<string> References)> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        double exact = 0, f1 = 0;
        int count = 0;
        foreach (var (prediction, references) in predictions)
        {
            if (references is null || references.Count == 0)
                throw new ArgumentException($"Question {count} has no reference answer; expected at least one.", nameof(predictions));
            var (em, f) = SquadScore.Best(prediction ?? "", references);
            exact += em;
            f1 += f;
            count++;
        }
        return count == 0 ? new QuestionAnsweringMetrics(0, 0, 0) : new QuestionAnsweringMetrics(100 * exact / count, 100 * f1 / count, count);
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"EM {ExactMatch:F2} F1 {F1:F2} ({QuestionCount} questions)");
}
