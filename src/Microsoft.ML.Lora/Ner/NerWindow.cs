namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// One model input cut from a sentence: <c>[CLS]</c>, the sub-tokens of words [<see cref="FirstWord"/>,
/// <see cref="FirstWord"/> + <see cref="WordCount"/>), <c>[SEP]</c>. A short sentence is one window; a long one several
/// overlapping ones (see <see cref="SentenceWindows"/>).
/// </summary>
internal sealed class NerWindow
{
    /// <summary>The label of a token the loss ignores (PyTorch's <c>ignore_index</c>).</summary>
    public const int IgnoredLabel = -100;

    public NerWindow(int sentence, int sentenceWordCount, int firstWord, int[] ids, int[] wordPositions, bool[] owns, int[]? labels)
    {
        Sentence = sentence;
        SentenceWordCount = sentenceWordCount;
        FirstWord = firstWord;
        Ids = ids;
        WordPositions = wordPositions;
        Owns = owns;
        Labels = labels;
    }

    /// <summary>Index of the sentence (row) the window was cut from.</summary>
    public int Sentence { get; }

    /// <summary>Number of words of the whole sentence.</summary>
    public int SentenceWordCount { get; }

    /// <summary>The sentence index of the window's first word.</summary>
    public int FirstWord { get; }

    /// <summary>Number of words in the window.</summary>
    public int WordCount => WordPositions.Length;

    /// <summary>Token ids, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int[] Ids { get; }

    /// <summary>For word <see cref="FirstWord"/> + i, the index in <see cref="Ids"/> of its first sub-token.</summary>
    public int[] WordPositions { get; }

    /// <summary>
    /// For word <see cref="FirstWord"/> + i, whether its prediction comes from this window: each word belongs to exactly
    /// one window of its sentence, the one where it is most central.
    /// </summary>
    public bool[] Owns { get; }

    /// <summary>
    /// The words whose prediction comes from this window: each one's index in the sentence and the position in
    /// <see cref="Ids"/> of its first sub-token (where its tag is read). Training metrics and scoring gather words through it.
    /// </summary>
    public IEnumerable<(int Word, int Position)> OwnedWords()
    {
        for (int j = 0; j < WordCount; j++)
            if (Owns[j]) yield return (FirstWord + j, WordPositions[j]);
    }

    /// <summary>
    /// Per token: the tag index on each word's first sub-token, <see cref="IgnoredLabel"/> on its other sub-tokens and on
    /// <c>[CLS]</c>/<c>[SEP]</c>. Null when the sentence is unlabelled (scoring).
    /// </summary>
    public int[]? Labels { get; }
}
