using System.Text;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// A WordPiece vocabulary: token strings by id, read from a <c>vocab.txt</c> (one token a line, the id is the
/// line number) or from the <c>model.vocab</c> object of a <c>tokenizer.json</c>.
/// </summary>
/// <remarks>
/// A token listed twice keeps the id of its last line, as Hugging Face's loaders do; the earlier id stays in the
/// id → token table. Ids that no token has (gaps in a tokenizer.json) hold null.
/// </remarks>
internal sealed class WordPieceVocabulary
{
    private readonly string?[] _tokensById;
    private readonly Dictionary<string, int> _idsByToken;

    private WordPieceVocabulary(string?[] tokensById, Dictionary<string, int> idsByToken, string source)
    {
        _tokensById = tokensById;
        _idsByToken = idsByToken;
        Source = source;
    }

    /// <summary>Where the vocabulary came from (a file path or resource name), for error messages.</summary>
    public string Source { get; }

    /// <summary>Number of ids: the largest id plus one.</summary>
    public int Count => _tokensById.Length;

    /// <summary>The token of an id, or null when the id is outside the vocabulary or unused.</summary>
    public string? TokenOf(int id) => (uint)id < (uint)_tokensById.Length ? _tokensById[id] : null;

    /// <summary>Looks a token up (ordinal, case-sensitive).</summary>
    public bool TryGetId(string token, out int id) => _idsByToken.TryGetValue(token, out id);

    /// <summary>The id of a token the tokenizer cannot work without, or an error naming the vocabulary source.</summary>
    public int GetRequiredId(string token, string role)
    {
        if (!_idsByToken.TryGetValue(token, out int id))
        {
            throw new InvalidDataException(
                $"The vocabulary '{Source}' has no {role} token '{token}' ({Count} entries read).");
        }

        return id;
    }

    /// <summary>Reads a vocab.txt: UTF-8, one token a line, id = line number (0-based).</summary>
    public static WordPieceVocabulary ReadVocabTxt(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var tokens = new List<string?>(32_000);
        var ids = new Dictionary<string, int>(32_000, StringComparer.Ordinal);
        using var reader = new StreamReader(
            stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true),
            detectEncodingFromByteOrderMarks: true, bufferSize: 65536, leaveOpen: true);
        try
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (tokens.Count == 0 && (line.Trim() == "{" || line.StartsWith("{\"", StringComparison.Ordinal)))
                {
                    throw new InvalidDataException(
                        $"'{source}' is not a vocab.txt (one token a line): its first line starts with '{{', " +
                        "which looks like JSON. Load a tokenizer.json through TextTokenizer.FromHuggingFaceFolder.");
                }

                if (line.Length == 0)
                {
                    // An empty line keeps its id free, so ids stay equal to line numbers.
                    tokens.Add(null);
                    continue;
                }

                ids[line] = tokens.Count;
                tokens.Add(line);
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException(
                $"'{source}' is not valid UTF-8 text (after {tokens.Count} lines); a vocab.txt must be UTF-8.", e);
        }

        if (ids.Count == 0)
        {
            throw new InvalidDataException($"The vocabulary '{source}' is empty; expected one token a line.");
        }

        return new WordPieceVocabulary(tokens.ToArray(), ids, source);
    }

    /// <summary>Builds a vocabulary from a token → id map (tokenizer.json <c>model.vocab</c>).</summary>
    public static WordPieceVocabulary FromTokenIds(IEnumerable<KeyValuePair<string, int>> tokenIds, string source)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int maxId = -1;
        foreach ((string token, int id) in tokenIds)
        {
            if (id < 0)
            {
                throw new InvalidDataException($"'{source}': token '{token}' has the negative id {id}.");
            }

            ids[token] = id;
            maxId = Math.Max(maxId, id);
        }

        if (ids.Count == 0)
        {
            throw new InvalidDataException($"The vocabulary in '{source}' is empty.");
        }

        // The table is indexed by id: a hostile file must not make it allocate what one large id merely declares.
        if (maxId >= 2L * ids.Count + 1024)
        {
            string far = ids.First(kv => kv.Value == maxId).Key;
            throw new InvalidDataException(
                $"'{source}': token '{far}' has the id {maxId}, far beyond the vocabulary's {ids.Count} tokens; expected ids numbered from 0 without large gaps.");
        }

        var tokens = new string?[maxId + 1];
        foreach ((string token, int id) in ids)
        {
            if (tokens[id] is not null)
            {
                throw new InvalidDataException(
                    $"'{source}': tokens '{tokens[id]}' and '{token}' both have the id {id}; expected one token per id.");
            }

            tokens[id] = token;
        }

        return new WordPieceVocabulary(tokens, ids, source);
    }

    /// <summary>
    /// Writes the vocabulary as vocab.txt lines, one per id. Ids without a token, and tokens that a line cannot
    /// hold (line breaks; never matched anyway, since words never contain them), are written as empty lines.
    /// </summary>
    public void WriteVocabTxt(TextWriter writer, bool onlyLookupIds = false)
    {
        for (int id = 0; id < _tokensById.Length; id++)
        {
            string? token = _tokensById[id];
            bool writable = token is not null && token.AsSpan().IndexOfAny('\r', '\n') < 0
                && (!onlyLookupIds || _idsByToken[token] == id);
            writer.Write(writable ? token : string.Empty);
            writer.Write('\n');
        }
    }

    /// <summary>
    /// The vocabulary as a vocab.txt stream in which each token appears only at the id it is looked up by
    /// (Microsoft.ML.Tokenizers rejects a token listed twice).
    /// </summary>
    public MemoryStream ToLookupVocabTxtStream()
    {
        var stream = new MemoryStream(_tokensById.Length * 8);
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), 65536, leaveOpen: true))
        {
            WriteVocabTxt(writer, onlyLookupIds: true);
        }

        stream.Position = 0;
        return stream;
    }
}
