namespace Microsoft.ML.Lora;

/// <summary>Options of <see cref="LoraTextClassificationEstimator"/>: columns, plus everything in <see cref="FineTuningOptions"/>.</summary>
public sealed class LoraTextClassificationOptions : FineTuningOptions
{
    /// <summary>Label column: a key type (use <c>MapValueToKey</c>). Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Text column (string). Default "Sentence1".</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence1";

    /// <summary>Optional second text column for sentence-pair tasks (entailment, similarity); null for single sentences.</summary>
    public string? Sentence2ColumnName { get; set; }

    /// <summary>Output: class probabilities, a float vector with one slot per class. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output: the most probable class, of the label's key type. Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>
    /// Train BERT's pooler (dense + tanh on [CLS]) with the head and save it in the adapter. Null (default) = automatic: on
    /// for the embedded all-MiniLM-L6-v2 — a sentence-transformers model is trained through mean pooling, its pooler was
    /// never tuned and, frozen, starves the classifier — and for checkpoints without pooler weights; off otherwise (PEFT's
    /// behaviour). Ignored for RoBERTa and DistilBERT, which have no pooler.
    /// </summary>
    public bool? TrainPooler { get; set; }

    /// <summary>
    /// Fit a temperature on <see cref="FineTuningOptions.ValidationSet"/> after training (minimising its negative
    /// log-likelihood) and apply it to <c>Score</c>, so probabilities mean what they say. Needs a validation set. The
    /// temperature stays 1 (and the log says why) when it does not beat T = 1 on held-out folds of the validation set by
    /// more than noise, which protects a nearly calibrated model from a noisy fit on a small validation set.
    /// </summary>
    public bool CalibrateScores { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Pipeline.OptionChecks.ColumnName(LabelColumnName, nameof(LabelColumnName));
        Pipeline.OptionChecks.ColumnName(Sentence1ColumnName, nameof(Sentence1ColumnName));
        if (Sentence2ColumnName is not null) Pipeline.OptionChecks.ColumnName(Sentence2ColumnName, nameof(Sentence2ColumnName));
        Pipeline.OptionChecks.ColumnName(ScoreColumnName, nameof(ScoreColumnName));
        Pipeline.OptionChecks.ColumnName(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        if (ScoreColumnName == PredictedLabelColumnName)
            throw new ArgumentException($"ScoreColumnName and PredictedLabelColumnName are both '{ScoreColumnName}'; the outputs need two columns.", nameof(PredictedLabelColumnName));
        if (CalibrateScores && ValidationSet is null)
            throw new ArgumentException("CalibrateScores needs a ValidationSet to fit the temperature on.", nameof(CalibrateScores));
    }
}
