using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.IO;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Writes a tokenizer as the files a Hugging Face folder has (<c>vocab.txt</c>, <c>tokenizer_config.json</c>,
/// <c>special_tokens_map.json</c>), so that <c>AutoTokenizer.from_pretrained</c> and <see cref="HuggingFaceTokenizerFolder"/>
/// read back the same vocabulary, casing and special tokens.
/// </summary>
internal static class TokenizerFolderWriter
{
    /// <param name="folder">The destination folder (must exist); every file is written atomically.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="maxLength">Written as <c>model_max_length</c>.</param>
    /// <param name="tokenizerClass">Written as <c>tokenizer_class</c> ("BertTokenizer"; "DistilBertTokenizer" gives no token type ids).</param>
    public static void Write(string folder, TextTokenizer tokenizer, int maxLength, string tokenizerClass)
    {
        var o = tokenizer.Options;
        AtomicFile.Write(Path.Combine(folder, HuggingFaceTokenizerFolder.VocabTxtFileName), tokenizer.SaveVocabulary);
        var specials = new JsonObject
        {
            ["cls_token"] = o.ClassificationToken, ["pad_token"] = o.PaddingToken, ["sep_token"] = o.SeparatorToken, ["unk_token"] = o.UnknownToken,
        };
        if (tokenizer.TryGetTokenId("[MASK]", out _)) specials["mask_token"] = "[MASK]";
        var config = new JsonObject
        {
            ["do_basic_tokenize"] = true,
            ["do_lower_case"] = o.LowerCase,
            ["model_max_length"] = maxLength,
            ["never_split"] = null,
            ["strip_accents"] = o.StripAccents,
            ["tokenize_chinese_chars"] = o.SplitCjkIdeographs,
            ["tokenizer_class"] = tokenizerClass,
        };
        foreach (var (k, v) in specials) config[k] = v?.DeepClone();
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(folder, HuggingFaceTokenizerFolder.TokenizerConfigFileName), Sorted(config).ToJsonString(indented) + "\n");
        AtomicFile.WriteAllText(Path.Combine(folder, HuggingFaceTokenizerFolder.SpecialTokensMapFileName), Sorted(specials).ToJsonString(indented) + "\n");
    }

    private static JsonObject Sorted(JsonObject o)
        => new(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));
}
