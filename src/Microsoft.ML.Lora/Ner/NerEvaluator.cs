namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Accumulates gold and predicted tag sequences sentence by sentence and computes <see cref="NerMetrics"/>.
/// </summary>
/// <remarks>
/// Entities are extracted from both sequences with conlleval's start and end rules (seqeval's default, non-strict mode):
/// an <c>I-X</c> after <c>O</c> or after another type starts an entity, in the gold tags and the predictions alike.
/// IOB2, IOB1, IO and BIOES tags are all read this way; gold and predictions should use the same scheme, since token
/// accuracy compares the tags as written. Sentences never share an entity.
/// </remarks>
internal sealed class NerEvaluator
{
    // Indices into the per-type count arrays.
    private const int Gold = 0;
    private const int Predicted = 1;
    private const int Correct = 2;

    private readonly SortedDictionary<string, int[]> _countsByType = new(StringComparer.Ordinal);
    private int _sentenceCount;
    private int _tokenCount;
    private int _correctTokenCount;

    /// <summary>Evaluates predicted tags against gold tags, sentence by sentence.</summary>
    /// <param name="gold">Each sentence's gold tags.</param>
    /// <param name="predicted">Each sentence's predicted tags, as many as the gold tags of the same sentence.</param>
    /// <returns>The entity-level scores.</returns>
    /// <exception cref="ArgumentException">
    /// The sentence counts differ, a sentence's tag counts differ (the message names the sentence and both lengths), or a tag is invalid.
    /// </exception>
    public static NerMetrics Evaluate(IReadOnlyList<IReadOnlyList<string>> gold, IReadOnlyList<IReadOnlyList<string>> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != predicted.Count)
        {
            throw new ArgumentException(
                $"Got {predicted.Count} predicted sentences for {gold.Count} gold sentences; expected the same number.", nameof(predicted));
        }

        var evaluator = new NerEvaluator();
        for (int s = 0; s < gold.Count; s++)
        {
            evaluator.Add(gold[s], predicted[s]);
        }

        return evaluator.GetMetrics();
    }

    /// <summary>Adds one sentence; its index in error messages is the number of sentences added before it.</summary>
    /// <param name="goldTags">The sentence's gold tags.</param>
    /// <param name="predictedTags">The sentence's predicted tags, one per gold tag.</param>
    /// <exception cref="ArgumentException">
    /// The lengths differ (the message names the sentence and both lengths), or a tag is not <c>O</c> or a B-/I-/E-/S- prefix
    /// and a type (the message names it, the sentence and the token).
    /// </exception>
    public void Add(IReadOnlyList<string> goldTags, IReadOnlyList<string> predictedTags)
    {
        int sentence = _sentenceCount;
        if (goldTags is null || predictedTags is null)
        {
            throw new ArgumentException($"Sentence {sentence} has null {(goldTags is null ? "gold" : "predicted")} tags.");
        }

        if (goldTags.Count != predictedTags.Count)
        {
            throw new ArgumentException(
                $"Sentence {sentence} has {goldTags.Count} gold tags but {predictedTags.Count} predicted tags; expected the same length.",
                nameof(predictedTags));
        }

        IobTag[] gold = IobTag.ParseAll(goldTags, scheme: null, sentence, nameof(goldTags));
        IobTag[] predicted = IobTag.ParseAll(predictedTags, scheme: null, sentence, nameof(predictedTags));

        int correctTokens = 0;
        for (int i = 0; i < gold.Length; i++)
        {
            if (gold[i] == predicted[i])
            {
                correctTokens++;
            }
        }

        var goldChunks = new HashSet<TagChunk>(TagChunker.Extract(gold));
        List<TagChunk> predictedChunks = TagChunker.Extract(predicted);
        foreach (TagChunk chunk in goldChunks)
        {
            CountsOf(chunk.Type)[Gold]++;
        }

        foreach (TagChunk chunk in predictedChunks)
        {
            int[] counts = CountsOf(chunk.Type);
            counts[Predicted]++;
            if (goldChunks.Contains(chunk))
            {
                counts[Correct]++;
            }
        }

        _sentenceCount++;
        _tokenCount += gold.Length;
        _correctTokenCount += correctTokens;
    }

    /// <summary>The scores over all sentences added so far; later additions do not change the returned object.</summary>
    /// <returns>A snapshot of the scores.</returns>
    public NerMetrics GetMetrics()
    {
        var perType = new SortedDictionary<string, EntityTypeMetrics>(StringComparer.Ordinal);
        int gold = 0, predicted = 0, correct = 0;
        foreach ((string type, int[] counts) in _countsByType)
        {
            perType[type] = new EntityTypeMetrics(counts[Gold], counts[Predicted], counts[Correct]);
            gold += counts[Gold];
            predicted += counts[Predicted];
            correct += counts[Correct];
        }

        return new NerMetrics(_sentenceCount, _tokenCount, _correctTokenCount, new EntityTypeMetrics(gold, predicted, correct), perType);
    }

    private int[] CountsOf(string type)
    {
        if (!_countsByType.TryGetValue(type, out int[]? counts))
        {
            counts = new int[3];
            _countsByType.Add(type, counts);
        }

        return counts;
    }
}
