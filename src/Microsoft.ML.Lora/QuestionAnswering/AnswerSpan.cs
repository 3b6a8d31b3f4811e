namespace Microsoft.ML.Lora;

/// <summary>An answer found in a context: its text, where it starts, and the model's probability for it.</summary>
/// <param name="Text">The answer: exactly <c>context.Substring(Start, Text.Length)</c>, accents, case and symbols as written.</param>
/// <param name="Start">Its first character in the context (UTF-16 index).</param>
/// <param name="Score">P(start) · P(end) of its span, each a softmax over the context tokens of the window it was found in (in [0, 1]).</param>
public sealed record AnswerSpan(string Text, int Start, float Score)
{
    /// <summary>Where the answer ends in the context (exclusive).</summary>
    public int End => Start + Text.Length;
}
