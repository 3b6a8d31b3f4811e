namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// The model-specific half of tokenization: text → sub-token ids, without special tokens. Framing ([CLS] ... [SEP]),
/// truncation, padding and word alignment are done once, in <see cref="TextTokenizer"/>, for every implementation.
/// </summary>
/// <remarks>
/// WordPiece (BERT, DistilBERT, MiniLM) is implemented by <see cref="WordPieceSubwordTokenizer"/>. A byte-level BPE
/// (RoBERTa) would implement this too; it needs <see cref="AppendWordIds"/> to differ from <see cref="AppendIds"/>
/// (a word not at the start of the text is encoded with its leading space) and its own special-token layout
/// (&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;, type ids all 0), which <see cref="TextTokenizer"/> would then take from here.
/// Implementations must be thread-safe.
/// </remarks>
internal interface ISubwordTokenizer
{
    /// <summary>Number of token ids (the size of the model's embedding table).</summary>
    int VocabularySize { get; }

    /// <summary>The ids sequences are framed and padded with.</summary>
    SpecialTokenIds SpecialTokens { get; }

    /// <summary>The token string of an id, or null for an id outside the vocabulary.</summary>
    string? IdToToken(int id);

    /// <summary>The id of a token string, if it is in the vocabulary.</summary>
    bool TryGetId(string token, out int id);

    /// <summary>Appends the sub-token ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    void AppendIds(ReadOnlySpan<char> text, List<int> ids);

    /// <summary>
    /// Appends the sub-token ids of <paramref name="text"/> to <paramref name="ids"/> and, for each, the UTF-16 range
    /// [start, end) of the original text it stands for (Hugging Face's offset mapping): <c>text[start..end]</c> is the
    /// original spelling of the sub-token, accents, case and any character normalization removed within it included.
    /// </summary>
    void AppendIdsWithOffsets(ReadOnlySpan<char> text, List<int> ids, List<int> starts, List<int> ends);

    /// <summary>
    /// Appends the sub-token ids of one pre-split word (NER input) and returns how many were appended; may be 0
    /// when the word has nothing but characters the tokenizer removes.
    /// </summary>
    int AppendWordIds(ReadOnlySpan<char> word, List<int> ids);
}
