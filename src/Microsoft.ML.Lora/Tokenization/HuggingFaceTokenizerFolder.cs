using System.Text.Json;
using Microsoft.ML.Lora.IO;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Reads the tokenizer files of a Hugging Face model folder into a WordPiece vocabulary and
/// <see cref="BertTokenizerOptions"/>.
/// </summary>
/// <remarks>
/// Precedence, lowest first: BERT's defaults (uncased, [CLS]/[SEP]/[PAD]/[UNK]), tokenizer.json (normalizer,
/// model, post-processor, padding), special_tokens_map.json, tokenizer_config.json. Only keys that are present
/// override; unlike transformers' BertTokenizerFast, a tokenizer_config.json without <c>do_lower_case</c> does not
/// force lower-casing onto a tokenizer.json that says <c>lowercase: false</c>.
/// Added tokens that are not special are not matched in the text (they are rare in BERT models).
/// </remarks>
internal static class HuggingFaceTokenizerFolder
{
    public const string TokenizerJsonFileName = "tokenizer.json";
    public const string VocabTxtFileName = "vocab.txt";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    /// <summary>Loads the vocabulary and options of the tokenizer in <paramref name="folder"/>.</summary>
    public static (WordPieceVocabulary Vocabulary, BertTokenizerOptions Options) Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The model folder '{root}' does not exist.");
        }

        var options = new BertTokenizerOptions();
        WordPieceVocabulary vocabulary;
        string tokenizerJson = Path.Combine(root, TokenizerJsonFileName);
        string vocabTxt = Path.Combine(root, VocabTxtFileName);
        if (File.Exists(tokenizerJson))
        {
            vocabulary = ReadTokenizerJson(tokenizerJson, options);
        }
        else if (File.Exists(vocabTxt))
        {
            using FileStream stream = File.OpenRead(vocabTxt);
            if (stream.Length > JsonFields.MaxFileBytes)
                throw new InvalidDataException($"'{vocabTxt}': {stream.Length:N0} bytes is beyond the {JsonFields.MaxFileBytes >> 20} MiB a vocabulary may have.");
            vocabulary = WordPieceVocabulary.ReadVocabTxt(stream, vocabTxt);
        }
        else
        {
            throw new FileNotFoundException(
                $"The model folder '{root}' has neither {TokenizerJsonFileName} nor {VocabTxtFileName}; " +
                "one of them is needed to tokenize text.", vocabTxt);
        }

        string specialTokensMap = Path.Combine(root, SpecialTokensMapFileName);
        if (File.Exists(specialTokensMap))
        {
            ReadSpecialTokenNames(JsonFields.Load(specialTokensMap).Element, specialTokensMap, options);
        }

        string tokenizerConfig = Path.Combine(root, TokenizerConfigFileName);
        if (File.Exists(tokenizerConfig))
        {
            ReadTokenizerConfig(JsonFields.Load(tokenizerConfig).Element, tokenizerConfig, options);
        }

        return (vocabulary, options);
    }

    private static WordPieceVocabulary ReadTokenizerJson(string path, BertTokenizerOptions options)
    {
        JsonElement root = JsonFields.Load(path).Element;

        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"'{path}' has no \"model\" object; expected a Hugging Face tokenizer.json.");
        }

        string? modelType = OptionalString(model, "type", path, "model.type");
        if (modelType is not null && modelType != "WordPiece")
        {
            throw new InvalidDataException(
                $"'{path}': model.type is '{modelType}'; only WordPiece (BERT-family) tokenizers are supported.");
        }

        if (!model.TryGetProperty("vocab", out JsonElement vocab) || vocab.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"'{path}': model.vocab must be an object of token → id.");
        }

        var tokenIds = new List<KeyValuePair<string, int>>(vocab.GetPropertyCount());
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
            {
                throw new InvalidDataException(
                    $"'{path}': model.vocab[\"{entry.Name}\"] is {entry.Value.GetRawText()}; expected an integer id.");
            }

            tokenIds.Add(new(entry.Name, id));
        }

        options.UnknownToken = OptionalString(model, "unk_token", path, "model.unk_token") ?? options.UnknownToken;
        options.ContinuingSubwordPrefix = OptionalString(model, "continuing_subword_prefix", path, "model.continuing_subword_prefix")
            ?? options.ContinuingSubwordPrefix;
        options.MaxInputCharsPerWord = OptionalInt(model, "max_input_chars_per_word", path, "model.max_input_chars_per_word")
            ?? options.MaxInputCharsPerWord;

        ReadNormalizer(root, path, options);
        ReadPreTokenizer(root, path);
        ReadPostProcessor(root, path, options);

        if (root.TryGetProperty("padding", out JsonElement padding) && padding.ValueKind == JsonValueKind.Object)
        {
            options.PaddingToken = OptionalString(padding, "pad_token", path, "padding.pad_token") ?? options.PaddingToken;
        }

        return WordPieceVocabulary.FromTokenIds(tokenIds, path);
    }

    private static void ReadNormalizer(JsonElement root, string path, BertTokenizerOptions options)
    {
        if (!root.TryGetProperty("normalizer", out JsonElement normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            // No normalizer: the text reaches the pre-tokenizer as it is.
            options.LowerCase = false;
            options.StripAccents = false;
            options.CleanText = false;
            options.SplitCjkIdeographs = false;
            return;
        }

        string? type = OptionalString(normalizer, "type", path, "normalizer.type");
        if (type != "BertNormalizer")
        {
            throw new InvalidDataException(
                $"'{path}': normalizer.type is '{type}'; only BertNormalizer is supported (it is what BERT models use).");
        }

        options.CleanText = OptionalBool(normalizer, "clean_text", path, "normalizer.clean_text") ?? true;
        options.SplitCjkIdeographs = OptionalBool(normalizer, "handle_chinese_chars", path, "normalizer.handle_chinese_chars") ?? true;
        options.LowerCase = OptionalBool(normalizer, "lowercase", path, "normalizer.lowercase") ?? true;
        options.StripAccents = OptionalBool(normalizer, "strip_accents", path, "normalizer.strip_accents");
    }

    private static void ReadPreTokenizer(JsonElement root, string path)
    {
        string? type = null;
        if (root.TryGetProperty("pre_tokenizer", out JsonElement preTokenizer) && preTokenizer.ValueKind == JsonValueKind.Object)
        {
            type = OptionalString(preTokenizer, "type", path, "pre_tokenizer.type");
        }

        if (type != "BertPreTokenizer")
        {
            throw new InvalidDataException(
                $"'{path}': pre_tokenizer.type is '{type ?? "null"}'; only BertPreTokenizer is supported.");
        }
    }

    private static void ReadPostProcessor(JsonElement root, string path, BertTokenizerOptions options)
    {
        if (!root.TryGetProperty("post_processor", out JsonElement post) || post.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        string? type = OptionalString(post, "type", path, "post_processor.type");
        if (type == "BertProcessing")
        {
            options.ClassificationToken = TokenOfPair(post, "cls", path) ?? options.ClassificationToken;
            options.SeparatorToken = TokenOfPair(post, "sep", path) ?? options.SeparatorToken;
        }
        else if (type == "TemplateProcessing"
                 && post.TryGetProperty("single", out JsonElement single) && single.ValueKind == JsonValueKind.Array)
        {
            // BERT's template is [CLS] $A [SEP]: the first special token frames the start, the last the end.
            string? firstSpecial = null;
            string? lastSpecial = null;
            foreach (JsonElement piece in single.EnumerateArray())
            {
                if (piece.ValueKind == JsonValueKind.Object
                    && piece.TryGetProperty("SpecialToken", out JsonElement special)
                    && special.ValueKind == JsonValueKind.Object)
                {
                    string? id = OptionalString(special, "id", path, "post_processor.single[].SpecialToken.id");
                    firstSpecial ??= id;
                    lastSpecial = id;
                }
            }

            options.ClassificationToken = firstSpecial ?? options.ClassificationToken;
            options.SeparatorToken = lastSpecial ?? options.SeparatorToken;
        }
    }

    private static string? TokenOfPair(JsonElement post, string name, string path)
    {
        if (!post.TryGetProperty(name, out JsonElement pair))
        {
            return null;
        }

        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[0].ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException(
                $"'{path}': post_processor.{name} is {pair.GetRawText()}; expected [\"token\", id].");
        }

        return pair[0].GetString();
    }

    private static void ReadSpecialTokenNames(JsonElement root, string path, BertTokenizerOptions options)
    {
        JsonElement map = RequireObject(root, path, "the document");
        options.ClassificationToken = TokenName(map, "cls_token", path) ?? options.ClassificationToken;
        options.SeparatorToken = TokenName(map, "sep_token", path) ?? options.SeparatorToken;
        options.PaddingToken = TokenName(map, "pad_token", path) ?? options.PaddingToken;
        options.UnknownToken = TokenName(map, "unk_token", path) ?? options.UnknownToken;
    }

    private static void ReadTokenizerConfig(JsonElement root, string path, BertTokenizerOptions options)
    {
        JsonElement config = RequireObject(root, path, "the document");
        options.LowerCase = OptionalBool(config, "do_lower_case", path, "do_lower_case") ?? options.LowerCase;
        if (config.TryGetProperty("strip_accents", out _))
        {
            options.StripAccents = OptionalBool(config, "strip_accents", path, "strip_accents");
        }

        options.SplitCjkIdeographs = OptionalBool(config, "tokenize_chinese_chars", path, "tokenize_chinese_chars")
            ?? options.SplitCjkIdeographs;
        ReadSpecialTokenNames(config, path, options);
    }

    /// <summary>A special token is written as "[CLS]" or as an AddedToken object {"content": "[CLS]", ...}.</summary>
    private static string? TokenName(JsonElement parent, string key, string path)
    {
        if (!parent.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out JsonElement content)
            && content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        throw new InvalidDataException(
            $"'{path}': {key} is {value.GetRawText()}; expected a token string or an object with \"content\".");
    }

    private static JsonElement RequireObject(JsonElement element, string path, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"'{path}': {what} is a JSON {element.ValueKind}; expected an object.");
        }

        return element;
    }

    // The shared typed reader (IO/JsonFields); name is the key's dotted path in the file, e.g. "normalizer.lowercase".
    private static JsonFields Fields(JsonElement parent, string path, string key, string name)
        => JsonFields.FromObject(parent, path, prefix: name.EndsWith(key, StringComparison.Ordinal) ? name[..^key.Length] : "");

    private static string? OptionalString(JsonElement parent, string key, string path, string name) => Fields(parent, path, key, name).String(key);

    private static bool? OptionalBool(JsonElement parent, string key, string path, string name) => Fields(parent, path, key, name).Bool(key);

    private static int? OptionalInt(JsonElement parent, string key, string path, string name) => Fields(parent, path, key, name).Int(key);
}
