namespace SentimentAnalyst;

/// <summary>One row of a training or test file: the text and its label, as read (labels are text until MapValueToKey).</summary>
public sealed class LabelledText
{
    /// <summary>The text to classify.</summary>
    public string Text { get; set; } = "";

    /// <summary>The label value (a class name or a number, as written in the file).</summary>
    public string Label { get; set; } = "";
}
