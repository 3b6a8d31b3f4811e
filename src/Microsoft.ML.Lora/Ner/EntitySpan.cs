using Microsoft.ML.Lora.Ner;

namespace Microsoft.ML.Lora;

/// <summary>An entity found in a sentence: its type, its words, where it lies and how sure the model was.</summary>
/// <param name="Type">The entity type, the tag without its <c>B-</c>/<c>I-</c> prefix (e.g. <c>PER</c>).</param>
/// <param name="Text">The entity's words joined by single spaces.</param>
/// <param name="FirstWord">Index of the entity's first word in the sentence.</param>
/// <param name="LastWord">Index of the entity's last word in the sentence (inclusive).</param>
/// <param name="Confidence">
/// The mean of the per-word confidences over the entity's words (each word's confidence is typically the probability of
/// its predicted tag); <see cref="float.NaN"/> when no confidences were given.
/// </param>
public sealed record EntitySpan(string Type, string Text, int FirstWord, int LastWord, float Confidence)
{
    /// <summary>
    /// The entities of one tagged sentence, e.g. a loaded model's prediction (its tags through <c>MapKeyToValue</c>): the
    /// tags are repaired into valid IOB2 first (an <c>I-X</c> after <c>O</c> or another type starts an entity), then read
    /// with conlleval's rules.
    /// </summary>
    /// <param name="words">The sentence's words.</param>
    /// <param name="tags">One IOB2 tag per word (<c>O</c>, <c>B-PER</c>, ...).</param>
    /// <param name="confidence">Optional: one confidence per word; an entity's is their mean.</param>
    /// <exception cref="ArgumentException">The counts differ, or a tag is not IOB2.</exception>
    public static IReadOnlyList<EntitySpan> FromTags(IReadOnlyList<string> words, IReadOnlyList<string> tags, IReadOnlyList<float>? confidence = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(tags);
        return EntitySpanDecoder.Decode(words, TagSchemeConverter.RepairIob2(tags), confidence);
    }
}
