using Microsoft.ML.Lora.Tokenization;

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Aligns word tags with sub-tokens and cuts sentences longer than the model's maximum length into overlapping windows.
/// </summary>
/// <remarks>
/// <para>Alignment: a word's tag sits on its first sub-token; its other sub-tokens, <c>[CLS]</c> and <c>[SEP]</c> get
/// <see cref="NerWindow.IgnoredLabel"/>, so the loss sees exactly one label per word and none is made up.</para>
/// <para>Windows: a window holds whole words, as many as fit in <c>maxLength − 2</c> sub-tokens. The next window starts at
/// the earliest word after the previous window's start such that the words it shares with the previous window have at most
/// <c>overlap</c> sub-tokens (and it still reaches a new word), so consecutive windows share about <c>overlap</c> sub-tokens
/// and every word is in at least one window. A word with more sub-tokens than a window holds keeps its first ones (its tag
/// is on the first). Each word is predicted by the window where it is most central: the one maximising
/// min(sub-tokens before it, sub-tokens after it) within the window, the earlier window on a tie (the "maximum context"
/// rule of BERT's SQuAD code).</para>
/// </remarks>
internal static class SentenceWindows
{
    /// <summary>The overlap to use: <paramref name="requested"/>, or half a window when null; checked against the window size.</summary>
    public static int Overlap(int? requested, int maxLength)
    {
        int capacity = maxLength - 2;
        int overlap = requested ?? capacity / 2;
        if (overlap >= capacity)
            throw new ArgumentOutOfRangeException(nameof(LoraNerOptions.WindowOverlap), overlap,
                $"WindowOverlap {overlap} must be less than the {capacity} sub-tokens a window holds (the maximum length {maxLength} minus [CLS] and [SEP]).");
        return overlap;
    }

    /// <summary>Tokenizes and cuts many sentences; windows come sentence by sentence, in order.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="sentences">Each sentence's words.</param>
    /// <param name="tags">Each sentence's tag indices, one per word, or null when unlabelled.</param>
    /// <param name="maxLength">Maximum tokens of a window.</param>
    /// <param name="overlap">Sub-tokens consecutive windows share.</param>
    /// <param name="windowedSentences">Number of sentences that needed more than one window.</param>
    /// <param name="clippedWords">Number of words longer than a window, cut to its size.</param>
    public static List<NerWindow> SplitAll(TextTokenizer tokenizer, IReadOnlyList<string[]> sentences, IReadOnlyList<int[]>? tags,
        int maxLength, int overlap, out int windowedSentences, out int clippedWords)
    {
        var windows = new List<NerWindow>(sentences.Count);
        windowedSentences = 0;
        clippedWords = 0;
        for (int s = 0; s < sentences.Count; s++)
        {
            var cut = Split(tokenizer.EncodeWords(sentences[s]), tags?[s], s, maxLength, overlap, tokenizer.ClsId, tokenizer.SepId, out int clipped);
            if (cut.Count > 1) windowedSentences++;
            clippedWords += clipped;
            windows.AddRange(cut);
        }
        return windows;
    }

    /// <summary>Cuts one sentence into windows; an empty sentence has none.</summary>
    /// <param name="words">The sentence's words as sub-tokens (<see cref="TextTokenizer.EncodeWords"/>).</param>
    /// <param name="tags">One tag index per word, or null when unlabelled.</param>
    /// <param name="sentence">The sentence's index, recorded in its windows.</param>
    /// <param name="maxLength">Maximum tokens of a window, <c>[CLS]</c> and <c>[SEP]</c> included (at least 3).</param>
    /// <param name="overlap">Sub-tokens consecutive windows should share; less than <c>maxLength − 2</c>.</param>
    /// <param name="clsId">Id of <c>[CLS]</c>.</param>
    /// <param name="sepId">Id of <c>[SEP]</c>.</param>
    /// <param name="clippedWords">Number of words that had more sub-tokens than a window holds and were cut.</param>
    public static List<NerWindow> Split(EncodedWords words, IReadOnlyList<int>? tags, int sentence, int maxLength, int overlap,
        int clsId, int sepId, out int clippedWords)
    {
        int capacity = maxLength - 2;
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "A window needs room for [CLS], [SEP] and one sub-token.");
        if (overlap < 0 || overlap >= capacity)
            throw new ArgumentOutOfRangeException(nameof(overlap), overlap, $"The window overlap must be in [0, {capacity - 1}]: less than the {capacity} sub-tokens a window of {maxLength} holds.");
        int n = words.WordCount;
        if (tags is not null && tags.Count != n) throw new ArgumentException($"Got {tags.Count} tags for {n} words.", nameof(tags));

        // start[w] = sub-tokens before word w once every word is clipped to the window's capacity.
        var start = new int[n + 1];
        clippedWords = 0;
        for (int w = 0; w < n; w++)
        {
            int count = words.WordTokenCount[w];
            if (count > capacity)
            {
                count = capacity;
                clippedWords++;
            }
            start[w + 1] = start[w] + count;
        }
        int Tokens(int from, int to) => start[to] - start[from];

        var ranges = new List<(int From, int To)>();
        for (int from = 0; from < n;)
        {
            int to = from + 1;
            while (to < n && Tokens(from, to + 1) <= capacity) to++;
            ranges.Add((from, to));
            if (to == n) break;
            int next = from + 1;
            while (next < to && (Tokens(next, to) > overlap || Tokens(next, to + 1) > capacity)) next++;
            from = next;
        }

        // Most-central window per word: ranges are sorted by start, so a strictly better later window replaces an earlier one.
        var owner = new int[n];
        var best = new int[n];
        Array.Fill(best, -1);
        for (int k = 0; k < ranges.Count; k++)
        {
            var (from, to) = ranges[k];
            for (int w = from; w < to; w++)
            {
                int centrality = Math.Min(Tokens(from, w), Tokens(w + 1, to));
                if (centrality > best[w])
                {
                    best[w] = centrality;
                    owner[w] = k;
                }
            }
        }

        var windows = new List<NerWindow>(ranges.Count);
        for (int k = 0; k < ranges.Count; k++)
        {
            var (from, to) = ranges[k];
            var ids = new int[Tokens(from, to) + 2];
            var labels = tags is null ? null : new int[ids.Length];
            if (labels is not null) Array.Fill(labels, NerWindow.IgnoredLabel);
            var positions = new int[to - from];
            var owns = new bool[to - from];
            ids[0] = clsId;
            int p = 1;
            for (int w = from; w < to; w++)
            {
                positions[w - from] = p;
                owns[w - from] = owner[w] == k;
                if (labels is not null) labels[p] = tags![w];
                int first = words.WordFirstToken[w];
                for (int j = 0; j < Tokens(w, w + 1); j++) ids[p++] = words.TokenIds[first + j];
            }
            ids[p] = sepId;
            windows.Add(new NerWindow(sentence, n, from, ids, positions, owns, labels));
        }
        return windows;
    }
}
