namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// One word or punctuation mark found by <see cref="BertBasicTokenizer"/>: its normalized text, held in a
/// <see cref="BasicTokenBuffer"/> at [<paramref name="Start"/>, +<paramref name="Length"/>), and the UTF-16 range
/// of the original text it came from.
/// </summary>
/// <param name="Start">Index of the normalized text in <see cref="BasicTokenBuffer.Characters"/>.</param>
/// <param name="Length">Length of the normalized text, in UTF-16 units.</param>
/// <param name="SourceStart">Index of the first original character, in UTF-16 units.</param>
/// <param name="SourceLength">Length of the original range, in UTF-16 units (characters removed inside it or right after it included).</param>
internal readonly record struct BasicToken(int Start, int Length, int SourceStart, int SourceLength);
