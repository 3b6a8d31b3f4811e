namespace Ner;

/// <summary>What the saved model reads: a sentence as words (split on whitespace).</summary>
public sealed class ModelInput
{
    /// <summary>The words of the sentence.</summary>
    public string[] Tokens { get; set; } = [];
}
