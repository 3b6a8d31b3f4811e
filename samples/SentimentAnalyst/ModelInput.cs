namespace SentimentAnalyst;

/// <summary>What the saved model reads: one text.</summary>
public sealed class ModelInput
{
    /// <summary>The sentence to classify.</summary>
    public string Text { get; set; } = "";
}
