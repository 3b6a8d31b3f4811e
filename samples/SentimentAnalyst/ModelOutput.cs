namespace SentimentAnalyst;

/// <summary>What the saved model writes for a <see cref="ModelInput"/>.</summary>
public sealed class ModelOutput
{
    /// <summary>The most probable class, by name (the model ends with MapKeyToValue).</summary>
    public string PredictedLabel { get; set; } = "";

    /// <summary>Calibrated class probabilities, in the order of the <c>Score</c> column's slot names.</summary>
    public float[] Score { get; set; } = [];
}
