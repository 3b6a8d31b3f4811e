using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// BERT's tokenization: <see cref="BertBasicTokenizer"/> for normalization and splitting, then Microsoft.ML.Tokenizers'
/// <see cref="WordPieceTokenizer"/> for the greedy longest-match word-piece step of each word.
/// </summary>
/// <remarks>
/// <see cref="WordPieceTokenizer"/> counts a word's length in UTF-16 units, the reference in code points; so the
/// max_input_chars_per_word rule is applied here (a longer word is one unknown token) and the library's own limit
/// is set high enough never to fire first.
/// </remarks>
internal sealed class WordPieceSubwordTokenizer : ISubwordTokenizer
{
    [ThreadStatic]
    private static BasicTokenBuffer? t_buffer;

    private readonly WordPieceVocabulary _vocabulary;
    private readonly WordPieceTokenizer _wordPiece;
    private readonly int _maxInputCharsPerWord;

    /// <summary>Creates the tokenizer; throws <see cref="InvalidDataException"/> when a special token is missing.</summary>
    public WordPieceSubwordTokenizer(WordPieceVocabulary vocabulary, BertTokenizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(vocabulary.Source);

        _vocabulary = vocabulary;
        Options = options.Clone();
        SpecialTokens = new SpecialTokenIds(
            Classification: vocabulary.GetRequiredId(options.ClassificationToken, "classification"),
            Separator: vocabulary.GetRequiredId(options.SeparatorToken, "separator"),
            Padding: vocabulary.GetRequiredId(options.PaddingToken, "padding"),
            Unknown: vocabulary.GetRequiredId(options.UnknownToken, "unknown"));

        BasicTokenizer = new BertBasicTokenizer(
            options.LowerCase, options.ShouldStripAccents, options.CleanText, options.SplitCjkIdeographs);
        _maxInputCharsPerWord = options.MaxInputCharsPerWord;

        using MemoryStream vocabTxt = vocabulary.ToLookupVocabTxtStream();
        _wordPiece = WordPieceTokenizer.Create(vocabTxt, new WordPieceOptions
        {
            UnknownToken = options.UnknownToken,
            ContinuingSubwordPrefix = options.ContinuingSubwordPrefix,
            // Every surrogate pair counts 2 here and 1 in the reference; the code-point rule is checked first.
            MaxInputCharsPerWord = 2 * options.MaxInputCharsPerWord,
        });
    }

    /// <summary>The options this tokenizer was built with (a copy).</summary>
    public BertTokenizerOptions Options { get; }

    /// <summary>The pre-tokenizer in use.</summary>
    public BertBasicTokenizer BasicTokenizer { get; }

    /// <summary>The vocabulary in use.</summary>
    public WordPieceVocabulary Vocabulary => _vocabulary;

    /// <inheritdoc/>
    public int VocabularySize => _vocabulary.Count;

    /// <inheritdoc/>
    public SpecialTokenIds SpecialTokens { get; }

    /// <inheritdoc/>
    public string? IdToToken(int id) => _vocabulary.TokenOf(id);

    /// <inheritdoc/>
    public bool TryGetId(string token, out int id) => _vocabulary.TryGetId(token, out id);

    /// <inheritdoc/>
    public void AppendIds(ReadOnlySpan<char> text, List<int> ids)
    {
        BasicTokenBuffer buffer = t_buffer ??= new BasicTokenBuffer();
        buffer.Clear();
        BasicTokenizer.Tokenize(text, buffer);
        foreach (BasicToken token in buffer.Tokens)
        {
            AppendWordPieces(buffer.TextOf(token), ids);
        }
    }

    /// <inheritdoc/>
    public void AppendIdsWithOffsets(ReadOnlySpan<char> text, List<int> ids, List<int> starts, List<int> ends)
    {
        BasicTokenBuffer buffer = t_buffer ??= new BasicTokenBuffer();
        buffer.Clear();
        BasicTokenizer.Tokenize(text, buffer);
        foreach (BasicToken token in buffer.Tokens)
        {
            int first = ids.Count;
            AppendWordPieces(buffer.TextOf(token), ids);
            // Greedy longest-match pieces spell the normalized word exactly ("##" aside), so their lengths cut it into
            // consecutive runs of normalized characters, each mapped back to the original text; [UNK] is the whole word.
            int position = token.Start;
            int tokenEnd = token.Start + token.Length;
            for (int p = first; p < ids.Count; p++)
            {
                int length = PieceLength(ids[p], p > first, token.Length, ids.Count - first);
                if (length <= 0 || position + length > tokenEnd)
                {
                    position = -1;
                    break;
                }

                starts.Add(buffer.SourceStartOf(position));
                ends.Add(buffer.SourceEndOf(position + length - 1));
                position += length;
            }

            if (position != tokenEnd)
            {
                // Pieces that do not spell the word (a vocabulary this code does not expect): each covers the whole word.
                starts.RemoveRange(first, starts.Count - first);
                ends.RemoveRange(first, ends.Count - first);
                for (int p = first; p < ids.Count; p++)
                {
                    starts.Add(token.SourceStart);
                    ends.Add(token.SourceStart + token.SourceLength);
                }
            }
        }
    }

    /// <summary>Normalized characters a piece spells: its vocabulary string without the continuation prefix; [UNK] alone spells the word.</summary>
    private int PieceLength(int id, bool continuation, int wordLength, int pieceCount)
    {
        if (id == SpecialTokens.Unknown && pieceCount == 1)
        {
            return wordLength;
        }

        string? piece = _vocabulary.TokenOf(id);
        if (piece is null)
        {
            return -1;
        }

        string prefix = Options.ContinuingSubwordPrefix;
        return continuation ? (piece.StartsWith(prefix, StringComparison.Ordinal) ? piece.Length - prefix.Length : -1) : piece.Length;
    }

    /// <inheritdoc/>
    public int AppendWordIds(ReadOnlySpan<char> word, List<int> ids)
    {
        int before = ids.Count;
        AppendIds(word, ids);
        return ids.Count - before;
    }

    /// <summary>The word-piece step for one normalized, punctuation-free word.</summary>
    internal void AppendWordPieces(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.Length > _maxInputCharsPerWord && CountCodePoints(word) > _maxInputCharsPerWord)
        {
            ids.Add(SpecialTokens.Unknown);
            return;
        }

        IReadOnlyList<int> pieces = _wordPiece.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false);
        for (int p = 0; p < pieces.Count; p++)
        {
            ids.Add(pieces[p]);
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> text)
    {
        int count = 0;
        foreach (Rune _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
