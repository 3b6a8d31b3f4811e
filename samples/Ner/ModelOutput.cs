namespace Ner;

/// <summary>What the saved model writes for a <see cref="ModelInput"/>: one tag and one confidence per word.</summary>
public sealed class ModelOutput
{
    /// <summary>IOB2 tags, one per input word (the model ends with MapKeyToValue).</summary>
    public string[] PredictedTags { get; set; } = [];

    /// <summary>Probability of each word's tag.</summary>
    public float[] Confidence { get; set; } = [];
}
