namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>
/// What the training labels look like: their range (reported to users) and their mean and standard deviation (what
/// training standardises by). The head learns <c>(label − mean) / std</c>, so it starts at the labels' mean with unit scale
/// whatever the data's scale is (0–5, 0–1, 0–100): AdamW moves each weight by about the learning rate per step, so a head
/// that had to climb from 0 to a mean of 2.7 would spend hundreds of steps on that alone. After training the head is
/// rescaled so that the model outputs <c>mean + std · output</c>, the labels' own scale.
/// </summary>
internal readonly record struct LabelScale(float Minimum, float Maximum, float Mean, float StandardDeviation)
{
    /// <summary>The standardised training target of <paramref name="label"/>.</summary>
    public float Standardize(float label) => (label - Mean) / StandardDeviation;

    /// <summary>The scale of <paramref name="labels"/>; throws naming <paramref name="column"/> when they are all equal (nothing to learn).</summary>
    public static LabelScale Of(IReadOnlyCollection<float> labels, string column)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (var l in labels)
        {
            min = Math.Min(min, l);
            max = Math.Max(max, l);
            sum += l;
        }
        if (!(max > min))
            throw new InvalidDataException($"Every label in column '{column}' of the training data is {min}; a similarity model needs pairs with different scores.");
        double mean = sum / labels.Count, squares = 0;
        foreach (var l in labels) squares += (l - mean) * (l - mean);
        return new LabelScale((float)min, (float)max, (float)mean, (float)Math.Sqrt(squares / labels.Count));
    }
}
