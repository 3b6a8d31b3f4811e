namespace Microsoft.ML.Lora;

/// <summary>Options of <see cref="LoraNerEstimator"/>: columns, tag scheme and windowing, plus everything in <see cref="FineTuningOptions"/>.</summary>
public sealed class LoraNerOptions : FineTuningOptions
{
    /// <summary>
    /// The words: a String column (a sentence, split into words on whitespace) or a vector-of-String column (the words
    /// themselves, e.g. the tokens of a CoNLL file). Default "Sentence".
    /// </summary>
    public string SentenceColumnName { get; set; } = "Sentence";

    /// <summary>
    /// The gold tags, one per word: a vector of String (<c>O</c>, <c>B-PER</c>, ...) or a vector of key whose key values are
    /// those strings (<c>MapValueToKey</c> on the tag vector). Default "Label".
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// Output: one predicted tag per word, a variable-length vector of a key type whose key values are the IOB2 tags (so
    /// <c>MapKeyToValue</c> gives the tag strings). Default "PredictedLabel".
    /// </summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>Output: per word, the probability of its predicted tag (a variable-length Single vector). Default "Confidence".</summary>
    public string ConfidenceColumnName { get; set; } = "Confidence";

    /// <summary>
    /// The scheme the label tags are written in. Training, prediction and evaluation use IOB2; IO, IOB1 and BIOES labels are
    /// converted to IOB2 first. Default <see cref="TagScheme.Iob2"/> (invalid IOB2, such as an
    /// <c>I-X</c> after <c>O</c>, is repaired the way conlleval reads it).
    /// </summary>
    public TagScheme LabelScheme { get; set; } = TagScheme.Iob2;

    /// <summary>
    /// A sentence longer than <see cref="FineTuningOptions.MaxSequenceLength"/> is cut, at word boundaries, into windows
    /// that share this many sub-tokens with the window before them (Hugging Face's <c>stride</c>); every word is trained on
    /// and predicted. Null = half a window. Must be less than a window's content (the maximum length minus [CLS] and [SEP]).
    /// </summary>
    public int? WindowOverlap { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        foreach (var (name, value) in new[] { (nameof(SentenceColumnName), SentenceColumnName), (nameof(LabelColumnName), LabelColumnName),
                     (nameof(PredictedLabelColumnName), PredictedLabelColumnName), (nameof(ConfidenceColumnName), ConfidenceColumnName) })
            if (string.IsNullOrEmpty(value)) throw new ArgumentException($"{name} must be a column name, got '{value}'.", name);
        if (PredictedLabelColumnName == ConfidenceColumnName)
            throw new ArgumentException($"PredictedLabelColumnName and ConfidenceColumnName are both '{ConfidenceColumnName}'; the outputs need two columns.", nameof(ConfidenceColumnName));
        if (!Enum.IsDefined(LabelScheme)) throw new ArgumentException($"LabelScheme {(int)LabelScheme} is not a TagScheme.", nameof(LabelScheme));
        if (WindowOverlap is { } overlap && overlap < 0) throw new ArgumentException($"WindowOverlap must be non-negative, got {overlap}.", nameof(WindowOverlap));
    }
}
