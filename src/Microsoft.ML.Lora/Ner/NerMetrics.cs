using System.Collections.ObjectModel;

namespace Microsoft.ML.Lora;

/// <summary>
/// Entity-level scores of predicted tags against gold tags, defined as conlleval and seqeval's default mode define them:
/// an entity counts as correct only when its type, first word and last word all match a gold entity.
/// </summary>
/// <remarks>Computed by <c>EvaluateNer</c> on the multiclass catalog; immutable.</remarks>
public sealed class NerMetrics
{
    private readonly EntityTypeMetrics _overall;

    internal NerMetrics(
        int sentenceCount, int tokenCount, int correctTokenCount, EntityTypeMetrics overall, IDictionary<string, EntityTypeMetrics> perType)
    {
        SentenceCount = sentenceCount;
        TokenCount = tokenCount;
        CorrectTokenCount = correctTokenCount;
        _overall = overall;
        PerType = new ReadOnlyDictionary<string, EntityTypeMetrics>(perType);
        MacroF1 = perType.Count == 0 ? 0 : perType.Values.Average(m => m.F1);
    }

    /// <summary>Micro-averaged precision: correct entities / predicted entities (0 when nothing was predicted).</summary>
    public double MicroPrecision => _overall.Precision;

    /// <summary>Micro-averaged recall: correct entities / gold entities (0 when there are no gold entities).</summary>
    public double MicroRecall => _overall.Recall;

    /// <summary>Micro-averaged F1, the number conlleval and seqeval report; 0 when precision and recall are both 0.</summary>
    public double MicroF1 => _overall.F1;

    /// <summary>The unweighted mean of the per-type F1 scores over every type that occurs in the gold or the predicted tags (0 when none does).</summary>
    public double MacroF1 { get; }

    /// <summary>Scores per entity type, by type name, over every type that occurs in the gold or the predicted tags, in ordinal order.</summary>
    public IReadOnlyDictionary<string, EntityTypeMetrics> PerType { get; }

    /// <summary>Number of gold entities.</summary>
    public int GoldEntityCount => _overall.Support;

    /// <summary>Number of predicted entities.</summary>
    public int PredictedEntityCount => _overall.PredictedCount;

    /// <summary>Number of predicted entities that exactly match a gold entity.</summary>
    public int CorrectEntityCount => _overall.CorrectCount;

    /// <summary>Fraction of word positions whose predicted tag equals the gold tag, as conlleval's "accuracy" (0 when there are no words).</summary>
    public double TokenAccuracy => TokenCount == 0 ? 0 : (double)CorrectTokenCount / TokenCount;

    /// <summary>Number of word positions evaluated.</summary>
    public int TokenCount { get; }

    /// <summary>Number of word positions whose predicted tag equals the gold tag.</summary>
    public int CorrectTokenCount { get; }

    /// <summary>Number of sentences evaluated.</summary>
    public int SentenceCount { get; }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant(
        $"F1 {MicroF1:F4} (P {MicroPrecision:F4}, R {MicroRecall:F4}), macro F1 {MacroF1:F4}, entities gold {GoldEntityCount} / predicted {PredictedEntityCount} / correct {CorrectEntityCount}, token accuracy {TokenAccuracy:F4} over {TokenCount} tokens in {SentenceCount} sentences");
}
