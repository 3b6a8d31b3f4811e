namespace Microsoft.ML.Lora;

/// <summary>One sentence read from a CoNLL file: its words and one tag per word.</summary>
/// <param name="Words">The words, from the first column.</param>
/// <param name="Tags">The tags, from the last column.</param>
public sealed record ConllSentence(IReadOnlyList<string> Words, IReadOnlyList<string> Tags);
