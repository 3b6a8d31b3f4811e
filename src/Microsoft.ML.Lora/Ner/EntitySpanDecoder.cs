namespace Microsoft.ML.Lora.Ner;

/// <summary>Turns a sentence's predicted tags into the entities they mark.</summary>
internal static class EntitySpanDecoder
{
    /// <summary>
    /// Extracts the entities from one sentence's predicted tags.
    /// </summary>
    /// <remarks>
    /// Entities are read with conlleval's rules, which also repair invalid IOB2: an <c>I-X</c> after <c>O</c> or after another
    /// type starts a new entity (see <see cref="TagSchemeConverter.RepairIob2"/>). BIOES tags are read too.
    /// </remarks>
    /// <param name="words">The sentence's words.</param>
    /// <param name="tags">One predicted tag per word.</param>
    /// <param name="confidences">Optional: one confidence per word; an entity's confidence is their mean over its words.</param>
    /// <returns>The entities in sentence order.</returns>
    /// <exception cref="ArgumentException">
    /// The lengths differ (the message gives both), or a tag is not <c>O</c> or a B-/I-/E-/S- prefix and a type (the message names it and its token index).
    /// </exception>
    public static IReadOnlyList<EntitySpan> Decode(
        IReadOnlyList<string> words, IReadOnlyList<string> tags, IReadOnlyList<float>? confidences = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count != words.Count)
        {
            throw new ArgumentException($"Got {tags.Count} tags for {words.Count} words; expected one tag per word.", nameof(tags));
        }

        if (confidences is not null && confidences.Count != words.Count)
        {
            throw new ArgumentException(
                $"Got {confidences.Count} confidences for {words.Count} words; expected one confidence per word.", nameof(confidences));
        }

        List<TagChunk> chunks = TagChunker.Extract(IobTag.ParseAll(tags, scheme: null, sentenceIndex: null, nameof(tags)));
        var spans = new EntitySpan[chunks.Count];
        for (int c = 0; c < spans.Length; c++)
        {
            TagChunk chunk = chunks[c];
            int length = chunk.End - chunk.Start + 1;
            string text = string.Join(' ', Enumerable.Range(chunk.Start, length).Select(i => words[i]));
            float confidence = float.NaN;
            if (confidences is not null)
            {
                double sum = 0;
                for (int i = chunk.Start; i <= chunk.End; i++)
                {
                    sum += confidences[i];
                }

                confidence = (float)(sum / length);
            }

            spans[c] = new EntitySpan(chunk.Type, text, chunk.Start, chunk.End, confidence);
        }

        return spans;
    }
}
