namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Finds the entities (chunks) of a tag sequence with the start and end rules of conlleval, as seqeval's default mode
/// implements them. One set of rules reads IOB2, IOB1, IO and BIOES, and repairs invalid IOB2 the way both tools do:
/// an <c>I-X</c> after <c>O</c> or after another type starts a new entity.
/// </summary>
internal static class TagChunker
{
    internal static List<TagChunk> Extract(IobTag[] tags)
    {
        var chunks = new List<TagChunk>();
        IobTag previous = IobTag.Outside;
        int begin = 0;

        // One step past the end with O closes an entity that runs to the last token.
        for (int i = 0; i <= tags.Length; i++)
        {
            IobTag current = i < tags.Length ? tags[i] : IobTag.Outside;
            if (EndsChunk(previous, current))
            {
                chunks.Add(new TagChunk(previous.Type, begin, i - 1));
            }

            if (StartsChunk(previous, current))
            {
                begin = i;
            }

            previous = current;
        }

        return chunks;
    }

    private static bool EndsChunk(IobTag previous, IobTag current)
    {
        char p = previous.Prefix;
        char c = current.Prefix;
        if (p is 'E' or 'S')
        {
            return true;
        }

        if ((p is 'B' or 'I') && (c is 'B' or 'S' or 'O'))
        {
            return true;
        }

        return p != 'O' && previous.Type != current.Type;
    }

    private static bool StartsChunk(IobTag previous, IobTag current)
    {
        char p = previous.Prefix;
        char c = current.Prefix;
        if (c is 'B' or 'S')
        {
            return true;
        }

        if ((p is 'E' or 'S' or 'O') && (c is 'E' or 'I'))
        {
            return true;
        }

        return c != 'O' && previous.Type != current.Type;
    }
}
