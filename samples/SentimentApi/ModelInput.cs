namespace SentimentApi;

/// <summary>What the model reads: one text (the column SentimentAnalyst's model.zip is saved with).</summary>
public sealed class ModelInput
{
    /// <summary>The text to classify.</summary>
    public string Text { get; set; } = "";
}
