namespace Microsoft.ML.Lora.Tokenization;

/// <summary>The ids of the tokens a sequence is framed and padded with.</summary>
/// <param name="Classification">Starts every sequence (BERT's [CLS]).</param>
/// <param name="Separator">Ends every segment (BERT's [SEP]).</param>
/// <param name="Padding">Fills a batch row after its last token (BERT's [PAD]).</param>
/// <param name="Unknown">Stands for a word the vocabulary cannot spell (BERT's [UNK]).</param>
internal readonly record struct SpecialTokenIds(int Classification, int Separator, int Padding, int Unknown);
