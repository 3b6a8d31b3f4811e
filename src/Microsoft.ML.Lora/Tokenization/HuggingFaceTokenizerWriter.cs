using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.IO;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Writes a tokenizer as Hugging Face saves a BERT tokenizer: <c>tokenizer.json</c> (the fast tokenizer: BertNormalizer,
/// BertPreTokenizer, WordPiece, [CLS] … [SEP] template) and the slow tokenizer's <c>vocab.txt</c>, <c>tokenizer_config.json</c>
/// and <c>special_tokens_map.json</c>. <c>AutoTokenizer.from_pretrained(folder)</c>, Microsoft.ML.Tokenizers' BertTokenizer
/// (vocab.txt) and <see cref="TextTokenizer.FromHuggingFaceFolder"/> read them back to the same ids.
/// </summary>
internal static class HuggingFaceTokenizerWriter
{
    private const string MaskToken = "[MASK]";

    /// <summary>The file names <see cref="Write"/> creates.</summary>
    public static IReadOnlyList<string> FileNames { get; } = new[]
    {
        HuggingFaceTokenizerFolder.TokenizerJsonFileName, HuggingFaceTokenizerFolder.VocabTxtFileName,
        HuggingFaceTokenizerFolder.TokenizerConfigFileName, HuggingFaceTokenizerFolder.SpecialTokensMapFileName,
    };

    /// <summary>
    /// Writes the four files into <paramref name="folder"/>, each atomically. <paramref name="modelMaxLength"/> is the longest
    /// input in tokens; <paramref name="modelInputNames"/> the inputs the model takes (a model without token types makes
    /// Hugging Face tokenizers leave <c>token_type_ids</c> out).
    /// </summary>
    public static void Write(string folder, TextTokenizer tokenizer, int modelMaxLength, IReadOnlyList<string> modelInputNames)
    {
        var o = tokenizer.Options;
        var specials = SpecialTokens(tokenizer, o);
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.Write(Path.Combine(folder, HuggingFaceTokenizerFolder.VocabTxtFileName), tokenizer.SaveVocabulary);
        AtomicFile.WriteAllText(Path.Combine(folder, HuggingFaceTokenizerFolder.SpecialTokensMapFileName),
            new JsonObject(specials.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Token))).ToJsonString(indented));
        var config = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = o.LowerCase, ["strip_accents"] = o.StripAccents,
            ["tokenize_chinese_chars"] = o.SplitCjkIdeographs, ["do_basic_tokenize"] = true, ["model_max_length"] = modelMaxLength,
            ["clean_up_tokenization_spaces"] = true,
            ["model_input_names"] = new JsonArray(modelInputNames.Select(n => (JsonNode?)n).ToArray()),
        };
        foreach (var s in specials) config[s.Key] = s.Token;
        AtomicFile.WriteAllText(Path.Combine(folder, HuggingFaceTokenizerFolder.TokenizerConfigFileName), config.ToJsonString(indented));
        AtomicFile.WriteAllText(Path.Combine(folder, HuggingFaceTokenizerFolder.TokenizerJsonFileName), TokenizerJson(tokenizer, o, specials).ToJsonString());
    }

    private static List<(string Key, string Token, int Id)> SpecialTokens(TextTokenizer tokenizer, BertTokenizerOptions o)
    {
        var list = new List<(string, string, int)>
        {
            ("unk_token", o.UnknownToken, tokenizer.UnkId), ("sep_token", o.SeparatorToken, tokenizer.SepId),
            ("pad_token", o.PaddingToken, tokenizer.PadId), ("cls_token", o.ClassificationToken, tokenizer.ClsId),
        };
        if (tokenizer.TryGetTokenId(MaskToken, out int mask)) list.Add(("mask_token", MaskToken, mask));
        return list;
    }

    private static JsonObject TokenizerJson(TextTokenizer tokenizer, BertTokenizerOptions o, List<(string Key, string Token, int Id)> specials)
    {
        var vocab = new JsonObject();
        for (int id = 0; id < tokenizer.VocabularySize; id++)
            if (tokenizer.IdToToken(id) is { } token && tokenizer.TryGetTokenId(token, out int lookup) && lookup == id && !vocab.ContainsKey(token))
                vocab[token] = id;
        JsonObject Special(string token) => new() { ["SpecialToken"] = new JsonObject { ["id"] = token, ["type_id"] = 0 } };
        JsonObject Sequence(string id, int typeId) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
        JsonObject SpecialEntry(string token, int id) => new() { ["id"] = token, ["ids"] = new JsonArray(id), ["tokens"] = new JsonArray(token) };
        var pairSep = Special(o.SeparatorToken);
        pairSep["SpecialToken"]!["type_id"] = 1;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(specials.OrderBy(s => s.Id).Select(s => (JsonNode?)new JsonObject
            {
                ["id"] = s.Id, ["content"] = s.Token, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = o.CleanText, ["handle_chinese_chars"] = o.SplitCjkIdeographs,
                ["strip_accents"] = o.StripAccents, ["lowercase"] = o.LowerCase,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(Special(o.ClassificationToken), Sequence("A", 0), Special(o.SeparatorToken)),
                ["pair"] = new JsonArray(Special(o.ClassificationToken), Sequence("A", 0), Special(o.SeparatorToken), Sequence("B", 1), pairSep),
                ["special_tokens"] = new JsonObject
                {
                    [o.ClassificationToken] = SpecialEntry(o.ClassificationToken, tokenizer.ClsId),
                    [o.SeparatorToken] = SpecialEntry(o.SeparatorToken, tokenizer.SepId),
                },
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = o.ContinuingSubwordPrefix, ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = o.UnknownToken, ["continuing_subword_prefix"] = o.ContinuingSubwordPrefix,
                ["max_input_chars_per_word"] = o.MaxInputCharsPerWord, ["vocab"] = vocab,
            },
        };
    }
}
