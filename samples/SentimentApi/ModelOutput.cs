namespace SentimentApi;

/// <summary>What the API reads from the model: the class probabilities (the label is the most probable class's name).</summary>
public sealed class ModelOutput
{
    /// <summary>Class probabilities (calibrated when the model was), in the order of the Score column's slot names.</summary>
    public float[] Score { get; set; } = [];
}
