using System.Runtime.InteropServices;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Turns text into model input for a BERT-family encoder, with the exact tokens of BERT's reference tokenizer
/// (Hugging Face's BertTokenizer): symbols such as <c>$</c> and <c>+</c> are kept as tokens, newlines and tabs separate
/// words, words the vocabulary cannot spell become [UNK]. Thread-safe.
/// </summary>
internal sealed class TextTokenizer
{
    [ThreadStatic]
    private static EncodingScratch? t_scratch;

    private readonly ISubwordTokenizer _subword;
    private readonly SpecialTokenIds _special;

    internal TextTokenizer(ISubwordTokenizer subword)
    {
        _subword = subword;
        _special = subword.SpecialTokens;
    }

    /// <summary>Loads a vocab.txt (one token a line) with BERT's defaults and the given casing.</summary>
    /// <param name="vocabularyPath">Path of the vocab.txt.</param>
    /// <param name="lowerCase">True for an uncased model (text is lower-cased and accents removed).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a vocabulary or lacks a special token.</exception>
    public static TextTokenizer FromVocabularyFile(string vocabularyPath, bool lowerCase) =>
        FromVocabularyFile(vocabularyPath, new BertTokenizerOptions { LowerCase = lowerCase });

    /// <summary>Loads a vocab.txt (one token a line) with the given options.</summary>
    /// <param name="vocabularyPath">Path of the vocab.txt.</param>
    /// <param name="options">Normalization and special token names.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a vocabulary or lacks a special token.</exception>
    public static TextTokenizer FromVocabularyFile(string vocabularyPath, BertTokenizerOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        ArgumentNullException.ThrowIfNull(options);
        string fullPath = Path.GetFullPath(vocabularyPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"The vocabulary file '{fullPath}' does not exist.", fullPath);
        }

        using FileStream stream = File.OpenRead(fullPath);
        return FromVocabulary(stream, options, fullPath);
    }

    /// <summary>Reads a vocab.txt from a stream (left open) with the given options.</summary>
    /// <param name="vocabulary">UTF-8 text, one token a line; the id of a token is its line number.</param>
    /// <param name="options">Normalization and special token names.</param>
    /// <param name="sourceName">Names the stream in error messages, e.g. a resource or zip entry name.</param>
    /// <exception cref="InvalidDataException">The stream is not a vocabulary or lacks a special token.</exception>
    public static TextTokenizer FromVocabulary(Stream vocabulary, BertTokenizerOptions options, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sourceName);
        WordPieceVocabulary vocab = WordPieceVocabulary.ReadVocabTxt(vocabulary, sourceName);
        return new TextTokenizer(new WordPieceSubwordTokenizer(vocab, options));
    }

    /// <summary>
    /// Loads the tokenizer of a Hugging Face model folder: <c>tokenizer.json</c> (a WordPiece model) when present,
    /// else <c>vocab.txt</c>; casing and special tokens from <c>tokenizer_config.json</c> and
    /// <c>special_tokens_map.json</c> when present, else from tokenizer.json, else BERT's defaults (uncased).
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither tokenizer.json nor vocab.txt.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or describes an unsupported tokenizer.</exception>
    public static TextTokenizer FromHuggingFaceFolder(string folder)
    {
        (WordPieceVocabulary vocabulary, BertTokenizerOptions options) = HuggingFaceTokenizerFolder.Load(folder);
        return new TextTokenizer(new WordPieceSubwordTokenizer(vocabulary, options));
    }

    private WordPieceSubwordTokenizer WordPiece => _subword as WordPieceSubwordTokenizer
        ?? throw new NotSupportedException("Only WordPiece tokenizers have BERT options and a vocab.txt.");

    /// <summary>Id of the token that starts every sequence ([CLS]).</summary>
    public int ClsId => _special.Classification;

    /// <summary>Id of the token that ends every segment ([SEP]).</summary>
    public int SepId => _special.Separator;

    /// <summary>Id of the padding token ([PAD]).</summary>
    public int PadId => _special.Padding;

    /// <summary>Id of the unknown token ([UNK]).</summary>
    public int UnkId => _special.Unknown;

    /// <summary>Number of token ids: the size of the model's word embedding table it must match.</summary>
    public int VocabularySize => _subword.VocabularySize;

    /// <summary>The normalization and special token names in use (a copy), e.g. to save with a model.</summary>
    public BertTokenizerOptions Options => WordPiece.Options.Clone();

    /// <summary>The token string of an id, or null when the id is not in the vocabulary.</summary>
    public string? IdToToken(int id) => _subword.IdToToken(id);

    /// <summary>Looks a token string up in the vocabulary.</summary>
    public bool TryGetTokenId(string token, out int id)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _subword.TryGetId(token, out id);
    }

    /// <summary>
    /// Writes the vocabulary as a vocab.txt (UTF-8, one token a line, id = line number) that
    /// <see cref="FromVocabulary"/> reads back with the same ids.
    /// </summary>
    public void SaveVocabulary(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new StreamWriter(destination, new System.Text.UTF8Encoding(false), 65536, leaveOpen: true);
        WordPiece.Vocabulary.WriteVocabTxt(writer);
    }

    /// <summary>
    /// Encodes a text, or a text pair, as <c>[CLS] text [SEP]</c> / <c>[CLS] text [SEP] pair [SEP]</c>, cutting
    /// sub-tokens off the end ('longest_first' for pairs) so that at most <paramref name="maxLength"/> tokens remain.
    /// </summary>
    /// <param name="text">The text; empty or whitespace gives <c>[CLS] [SEP]</c>.</param>
    /// <param name="pair">The second text of a pair, or null.</param>
    /// <param name="maxLength">Maximum token count, special tokens included (at least 2, or 3 with a pair).</param>
    /// <returns>The ids, token types and how many tokens were cut off.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> cannot hold the special tokens.</exception>
    public EncodedText Encode(string text, string? pair = null, int maxLength = 512)
    {
        ArgumentNullException.ThrowIfNull(text);
        int budget = ContentBudget(maxLength, pair is not null);
        EncodingScratch scratch = t_scratch ??= new EncodingScratch();
        scratch.Row.Clear();
        int dropped = EncodeRow(text, pair, budget, scratch, out int secondSegmentStart);

        int[] ids = scratch.Row.ToArray();
        int[] types = new int[ids.Length];
        types.AsSpan(secondSegmentStart).Fill(1);
        return new EncodedText(ids, types, dropped);
    }

    /// <summary>
    /// Encodes a text without special tokens or truncation, with each sub-token's range in <paramref name="text"/>
    /// (see <see cref="OffsetEncodedText"/>): what extractive tasks need to turn predicted tokens back into exact substrings.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public OffsetEncodedText EncodeWithOffsets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var starts = new List<int>();
        var ends = new List<int>();
        _subword.AppendIdsWithOffsets(text, ids, starts, ends);
        return new OffsetEncodedText(text, ids.ToArray(), starts.ToArray(), ends.ToArray());
    }

    /// <summary>
    /// Encodes pre-split words (NER input) without special tokens or truncation, recording which sub-tokens belong
    /// to which word. A word may split into several pieces (punctuation, word pieces); a word that yields none (only
    /// control characters) becomes one [UNK], so every word has at least one sub-token.
    /// </summary>
    /// <param name="words">The words, in order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="words"/> or one of its words is null.</exception>
    public EncodedWords EncodeWords(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        EncodingScratch scratch = t_scratch ??= new EncodingScratch();
        List<int> ids = scratch.Row;
        ids.Clear();
        var first = new int[words.Count];
        var counts = new int[words.Count];
        for (int w = 0; w < words.Count; w++)
        {
            string word = words[w] ?? throw new ArgumentNullException(nameof(words), $"Word {w} of {words.Count} is null.");
            first[w] = ids.Count;
            int count = _subword.AppendWordIds(word, ids);
            if (count == 0)
            {
                ids.Add(_special.Unknown);
                count = 1;
            }

            counts[w] = count;
        }

        return new EncodedWords(ids.ToArray(), first, counts);
    }

    /// <summary>
    /// Encodes a batch of texts (or text pairs) like <see cref="Encode"/> and pads every row to the longest one.
    /// </summary>
    /// <param name="texts">The texts; none may be null.</param>
    /// <param name="pairs">The second texts, one per text, or null for single texts.</param>
    /// <param name="maxLength">Maximum tokens per row, special tokens included.</param>
    /// <returns>Row-major ids, attention mask and token types, the row lengths and the truncation counts.</returns>
    /// <exception cref="ArgumentNullException">A text or pair is null.</exception>
    /// <exception cref="ArgumentException">The pair count differs from the text count.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> cannot hold the special tokens.</exception>
    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
        {
            throw new ArgumentException(
                $"There are {texts.Count} texts but {pairs.Count} pairs; expected one pair per text.", nameof(pairs));
        }

        int budget = ContentBudget(maxLength, pairs is not null);
        int batchSize = texts.Count;
        EncodingScratch scratch = t_scratch ??= new EncodingScratch();
        var ids = new int[batchSize][];
        var types = new int[batchSize][];
        var lengths = new int[batchSize];
        int truncatedRows = 0;
        int droppedTotal = 0;

        for (int row = 0; row < batchSize; row++)
        {
            string text = texts[row] ?? throw new ArgumentNullException(nameof(texts), $"Text {row} of {batchSize} is null.");
            string? pair = null;
            if (pairs is not null)
            {
                pair = pairs[row] ?? throw new ArgumentNullException(nameof(pairs), $"Pair {row} of {batchSize} is null.");
            }

            scratch.Row.Clear();
            int dropped = EncodeRow(text, pair, budget, scratch, out int secondStart);
            ids[row] = scratch.Row.ToArray();
            lengths[row] = ids[row].Length;
            types[row] = new int[lengths[row]];
            types[row].AsSpan(secondStart).Fill(1);
            if (dropped > 0)
            {
                truncatedRows++;
                droppedTotal += dropped;
            }
        }

        var padded = PaddedBatch.Create(ids, types, _special.Padding);
        return new EncodedBatch(batchSize, padded.Length, padded.InputIds, padded.AttentionMask, padded.TokenTypeIds!, lengths, truncatedRows, droppedTotal);
    }

    private static int ContentBudget(int maxLength, bool hasPair)
    {
        int specials = hasPair ? 3 : 2;
        if (maxLength < specials)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxLength), maxLength,
                $"maxLength must hold the {specials} special tokens of a {(hasPair ? "text pair" : "text")}; it was {maxLength}.");
        }

        return maxLength - specials;
    }

    /// <summary>
    /// Appends one framed, truncated row to <c>scratch.Row</c>; returns the number of sub-tokens cut off.
    /// <paramref name="secondSegmentStart"/> is where token type 1 begins (the row length for a single text).
    /// </summary>
    private int EncodeRow(string text, string? pair, int budget, EncodingScratch scratch, out int secondSegmentStart)
    {
        List<int> first = scratch.First;
        List<int> second = scratch.Second;
        first.Clear();
        second.Clear();
        _subword.AppendIds(text, first);
        if (pair is not null)
        {
            _subword.AppendIds(pair, second);
        }

        (int keepFirst, int keepSecond) = LongestFirstTruncation.Plan(first.Count, second.Count, pair is not null, budget);

        List<int> row = scratch.Row;
        row.Add(_special.Classification);
        row.AddRange(CollectionsMarshal.AsSpan(first)[..keepFirst]);
        row.Add(_special.Separator);
        secondSegmentStart = row.Count;
        if (pair is not null)
        {
            row.AddRange(CollectionsMarshal.AsSpan(second)[..keepSecond]);
            row.Add(_special.Separator);
        }

        return first.Count - keepFirst + (second.Count - keepSecond);
    }

    /// <summary>Per-thread buffers reused across calls so that encoding allocates only its results.</summary>
    private sealed class EncodingScratch
    {
        public List<int> First { get; } = new(128);

        public List<int> Second { get; } = new(128);

        public List<int> Row { get; } = new(256);
    }
}
