namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Rewrites tag sequences into IOB2, the scheme the NER task trains on and predicts.
/// </summary>
/// <remarks>
/// Entities are read with conlleval's rules (see <see cref="NerEvaluator"/>), then written back as <c>B-TYPE I-TYPE ...</c>.
/// For IO and IOB1 this turns an <c>I-X</c> that follows <c>O</c> or another type into <c>B-X</c>, and keeps a <c>B-X</c>
/// as the boundary between two adjacent entities of the same type; for BIOES, <c>S-X</c> becomes <c>B-X</c> and <c>E-X</c>
/// becomes <c>I-X</c>.
/// </remarks>
internal static class TagSchemeConverter
{
    /// <summary>Converts one sentence's tags from <paramref name="scheme"/> to IOB2.</summary>
    /// <param name="tags">The sentence's tags: <c>O</c> or a prefix the scheme allows, a hyphen and a non-empty type.</param>
    /// <param name="scheme">The scheme the tags are written in.</param>
    /// <returns>A new array of IOB2 tags, one per input tag.</returns>
    /// <exception cref="ArgumentException">A tag is not valid in <paramref name="scheme"/>; the message names it and its token index.</exception>
    public static string[] ConvertToIob2(IReadOnlyList<string> tags, TagScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return ToIob2(IobTag.ParseAll(tags, scheme, sentenceIndex: null, nameof(tags)));
    }

    /// <summary>Converts the tags of many sentences from <paramref name="scheme"/> to IOB2.</summary>
    /// <param name="sentences">Each sentence's tags.</param>
    /// <param name="scheme">The scheme the tags are written in.</param>
    /// <returns>One new array of IOB2 tags per sentence.</returns>
    /// <exception cref="ArgumentException">A tag is not valid in <paramref name="scheme"/>; the message names it, its sentence index and its token index.</exception>
    public static string[][] ConvertToIob2(IReadOnlyList<IReadOnlyList<string>> sentences, TagScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var converted = new string[sentences.Count][];
        for (int s = 0; s < converted.Length; s++)
        {
            IReadOnlyList<string> tags = sentences[s]
                ?? throw new ArgumentException($"Sentence {s} is null.", nameof(sentences));
            converted[s] = ToIob2(IobTag.ParseAll(tags, scheme, s, nameof(sentences)));
        }

        return converted;
    }

    /// <summary>
    /// Repairs an invalid IOB2 sequence, as a model's per-token predictions can be: an <c>I-X</c> that follows <c>O</c>,
    /// another type, or the sentence start becomes <c>B-X</c>. Valid IOB2 comes back unchanged.
    /// </summary>
    /// <param name="tags">IOB2 tags (<c>O</c>, <c>B-TYPE</c> or <c>I-TYPE</c>).</param>
    /// <returns>A new array with the repaired tags.</returns>
    /// <exception cref="ArgumentException">A tag is not <c>O</c>, <c>B-TYPE</c> or <c>I-TYPE</c>; the message names it and its token index.</exception>
    public static string[] RepairIob2(IReadOnlyList<string> tags) => ConvertToIob2(tags, TagScheme.Iob2);

    internal static string[] ToIob2(IobTag[] tags)
    {
        var iob2 = new string[tags.Length];
        Array.Fill(iob2, "O");
        foreach (TagChunk chunk in TagChunker.Extract(tags))
        {
            iob2[chunk.Start] = "B-" + chunk.Type;
            for (int i = chunk.Start + 1; i <= chunk.End; i++)
            {
                iob2[i] = "I-" + chunk.Type;
            }
        }

        return iob2;
    }
}
