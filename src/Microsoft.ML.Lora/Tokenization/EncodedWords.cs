namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Pre-split words (NER input) as sub-token ids, without special tokens, with each word's place among them.
/// Word <c>w</c> owns ids [<c>WordFirstToken[w]</c>, <c>WordFirstToken[w] + WordTokenCount[w]</c>); every word owns
/// at least one (a word of removed characters only becomes the unknown token), so labels can always be aligned.
/// </summary>
internal sealed class EncodedWords
{
    internal EncodedWords(int[] tokenIds, int[] wordFirstToken, int[] wordTokenCount)
    {
        TokenIds = tokenIds;
        WordFirstToken = wordFirstToken;
        WordTokenCount = wordTokenCount;
    }

    /// <summary>The sub-token ids of all words, in order, without special tokens.</summary>
    public IReadOnlyList<int> TokenIds { get; }

    /// <summary>For each word, the index in <see cref="TokenIds"/> of its first sub-token.</summary>
    public IReadOnlyList<int> WordFirstToken { get; }

    /// <summary>For each word, how many sub-tokens it has (at least 1).</summary>
    public IReadOnlyList<int> WordTokenCount { get; }

    /// <summary>Number of words.</summary>
    public int WordCount => WordFirstToken.Count;
}
