namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// The IOB2 tags a NER model predicts, in output order: class i of the head is <see cref="Tags"/>[i], key i + 1 of
/// <c>PredictedLabel</c>. It holds <c>O</c> and both <c>B-X</c> and <c>I-X</c> of every type, so that a repaired
/// prediction (an <c>I-X</c> turned into <c>B-X</c>) always has a key.
/// </summary>
internal sealed class NerTagSet
{
    private readonly Dictionary<string, int> index;

    public NerTagSet(IReadOnlyList<string> tags)
    {
        index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tags.Count; i++)
        {
            if (!IobTag.TryParse(tags[i], TagScheme.Iob2, out _))
                throw new InvalidDataException($"Tag '{tags[i]}' of the model's tag set is not an IOB2 tag; expected {IobTag.Expected(TagScheme.Iob2)}.");
            if (!index.TryAdd(tags[i], i)) throw new InvalidDataException($"Tag '{tags[i]}' appears twice in the model's tag set.");
        }
        foreach (var tag in tags)
        {
            IobTag.TryParse(tag, TagScheme.Iob2, out var parsed);
            if (!parsed.IsOutside && (!index.ContainsKey("B-" + parsed.Type) || !index.ContainsKey("I-" + parsed.Type)))
                throw new InvalidDataException($"The model's tag set has '{tag}' but not both B-{parsed.Type} and I-{parsed.Type}.");
        }
        if (!index.ContainsKey("O")) throw new InvalidDataException("The model's tag set lacks 'O'.");
        Tags = tags.ToArray();
    }

    public IReadOnlyList<string> Tags { get; }

    public int Count => Tags.Count;

    public int IndexOf(string tag) => index.TryGetValue(tag, out int i) ? i
        : throw new InvalidDataException($"Tag '{tag}' is not one of the model's {Count} tags.");

    /// <summary>
    /// The tags of IOB2 <paramref name="sentences"/>: <paramref name="leading"/> first (a label key's values, to keep their
    /// key numbers), then <c>O</c> and <c>B-X</c>, <c>I-X</c> of each further type, types in ordinal order.
    /// </summary>
    public static NerTagSet Build(IReadOnlyList<string> leading, IEnumerable<IReadOnlyList<string>> sentences)
    {
        var tags = new List<string>(leading);
        var known = new HashSet<string>(leading, StringComparer.Ordinal);
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var tag in leading.Concat(sentences.SelectMany(s => s)))
            if (IobTag.TryParse(tag, TagScheme.Iob2, out var parsed) && !parsed.IsOutside) types.Add(parsed.Type);
        void Add(string tag) { if (known.Add(tag)) tags.Add(tag); }
        Add("O");
        foreach (var type in types)
        {
            Add("B-" + type);
            Add("I-" + type);
        }
        return new NerTagSet(tags);
    }
}
