namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// How text is normalized and split for a WordPiece (BERT-family) vocabulary. The defaults are those of an
/// uncased BERT model (bert-base-uncased, MiniLM) and of Hugging Face's <c>BertTokenizer</c>.
/// </summary>
internal sealed class BertTokenizerOptions
{
    /// <summary>
    /// Lower-case the text before splitting it into word pieces (<c>do_lower_case</c>). True for uncased models.
    /// </summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>
    /// Remove accents (Unicode NFD, then drop non-spacing marks) before splitting into word pieces
    /// (<c>strip_accents</c>). Null follows <see cref="LowerCase"/>, as in the reference implementations.
    /// </summary>
    public bool? StripAccents { get; set; }

    /// <summary>
    /// Remove NUL, U+FFFD and control/format characters and treat tab, newline and carriage return as spaces
    /// (<c>clean_text</c>).
    /// </summary>
    public bool CleanText { get; set; } = true;

    /// <summary>Make every CJK ideograph a word of its own (<c>tokenize_chinese_chars</c>).</summary>
    public bool SplitCjkIdeographs { get; set; } = true;

    /// <summary>Prefix of word pieces that continue a word (<c>continuing_subword_prefix</c>).</summary>
    public string ContinuingSubwordPrefix { get; set; } = "##";

    /// <summary>
    /// A word of more Unicode code points than this becomes a single unknown token
    /// (<c>max_input_chars_per_word</c>).
    /// </summary>
    public int MaxInputCharsPerWord { get; set; } = 100;

    /// <summary>The unknown token (<c>unk_token</c>).</summary>
    public string UnknownToken { get; set; } = "[UNK]";

    /// <summary>The token that starts every sequence (<c>cls_token</c>).</summary>
    public string ClassificationToken { get; set; } = "[CLS]";

    /// <summary>The token that ends every segment (<c>sep_token</c>).</summary>
    public string SeparatorToken { get; set; } = "[SEP]";

    /// <summary>The token that pads a batch (<c>pad_token</c>).</summary>
    public string PaddingToken { get; set; } = "[PAD]";

    /// <summary>Whether accents are stripped, with <see cref="StripAccents"/> resolved against <see cref="LowerCase"/>.</summary>
    internal bool ShouldStripAccents => StripAccents ?? LowerCase;

    internal BertTokenizerOptions Clone() => (BertTokenizerOptions)MemberwiseClone();

    internal void Validate(string source)
    {
        if (string.IsNullOrEmpty(ContinuingSubwordPrefix))
        {
            throw new ArgumentException($"{source}: the continuing sub-word prefix must not be empty.");
        }

        if (MaxInputCharsPerWord <= 0)
        {
            throw new ArgumentException(
                $"{source}: MaxInputCharsPerWord must be positive, was {MaxInputCharsPerWord}.");
        }

        foreach ((string name, string? value) in new[]
                 {
                     (nameof(UnknownToken), UnknownToken), (nameof(ClassificationToken), ClassificationToken),
                     (nameof(SeparatorToken), SeparatorToken), (nameof(PaddingToken), PaddingToken),
                 })
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException($"{source}: {name} must not be empty.");
            }
        }
    }
}
