namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>
/// The range of the training labels. Training maps labels onto [0, 1] with it, so the defaults (learning rate, head
/// initialisation) suit any scale; after training the head is rescaled so that it outputs scores on the labels' own scale.
/// </summary>
internal readonly record struct LabelRange(float Minimum, float Maximum)
{
    public float Normalize(float label) => (label - Minimum) / (Maximum - Minimum);

    /// <summary>The range of <paramref name="labels"/>; throws when they are all equal (nothing to learn).</summary>
    public static LabelRange Of(IEnumerable<float> labels, string column)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var l in labels)
        {
            min = Math.Min(min, l);
            max = Math.Max(max, l);
        }
        if (!(max > min))
            throw new InvalidDataException($"Every label in column '{column}' of the training data is {min}; a similarity model needs pairs with different scores.");
        return new LabelRange(min, max);
    }
}
