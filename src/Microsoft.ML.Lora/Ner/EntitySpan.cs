namespace Microsoft.ML.Lora.Ner;

/// <summary>An entity found in a sentence: its type, its words, where it lies and how sure the model was.</summary>
/// <param name="Type">The entity type, the tag without its <c>B-</c>/<c>I-</c> prefix (e.g. <c>PER</c>).</param>
/// <param name="Text">The entity's words joined by single spaces.</param>
/// <param name="FirstWord">Index of the entity's first word in the sentence.</param>
/// <param name="LastWord">Index of the entity's last word in the sentence (inclusive).</param>
/// <param name="Confidence">
/// The mean of the per-word confidences over the entity's words (each word's confidence is typically the probability of
/// its predicted tag); <see cref="float.NaN"/> when no confidences were given.
/// </param>
public sealed record EntitySpan(string Type, string Text, int FirstWord, int LastWord, float Confidence);
