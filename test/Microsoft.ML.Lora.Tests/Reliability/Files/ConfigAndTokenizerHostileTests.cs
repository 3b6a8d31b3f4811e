using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>
/// config.json, tokenizer.json and friends from strangers: typed values with the key in the error, sizes in range, and no
/// allocation of what the file merely declares (an encoder the weights cannot back, a vocabulary id of two billion).
/// </summary>
public class ConfigAndTokenizerHostileTests(TinyFolderFixture tiny) : IClassFixture<TinyFolderFixture>, IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string weightsFolder = tiny.BaseFolder;

    public void Dispose() => temp.Dispose();

    /// <summary>The tiny folder with its config.json's <paramref name="key"/> replaced.</summary>
    private string WithConfig(string key, string? valueJson)
    {
        var folder = Path.Combine(temp.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(weightsFolder)) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var o = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        if (valueJson is null) o.Remove(key); else o[key] = JsonNode.Parse(valueJson);
        File.WriteAllText(Path.Combine(folder, "config.json"), o.ToJsonString());
        return folder;
    }

    public static TheoryData<string, string?, string> BadConfigs => new()
    {
        { "hidden_size", "\"64\"", "\"hidden_size\" is \"64\" (a JSON string); expected an integer" },
        { "hidden_size", "64.5", "expected an integer" },
        { "hidden_size", "1000000", "hidden_size must be between 1 and 65536" },
        { "hidden_size", null, "\"hidden_size\" is missing" },
        { "vocab_size", "0", "vocab_size must be between 1" },
        { "vocab_size", "99999999999", "expected an integer" },
        { "num_hidden_layers", "100000", "num_hidden_layers must be between 1 and 1024" },
        { "num_attention_heads", "0", "num_attention_heads must be between 1" },
        { "num_attention_heads", "3", "not a multiple of num_attention_heads" },
        { "intermediate_size", "-1", "intermediate_size must be between 1" },
        { "max_position_embeddings", "0", "max_position_embeddings must be between 1" },
        { "type_vocab_size", "-1", "type_vocab_size must be between 0" },
        { "pad_token_id", "1000000", "pad_token_id must be between 0" },
        { "hidden_act", "\"swish\"", "hidden_act 'swish' is not supported" },
        { "hidden_act", "7", "\"hidden_act\" is 7 (a JSON number); expected a string" },
        { "hidden_dropout_prob", "1.5", "hidden dropout must be in [0, 1)" },
        { "hidden_dropout_prob", "\"0.1\"", "expected a number" },
        { "layer_norm_eps", "0", "layer_norm_eps must be in (0, 1)" },
        { "model_type", "\"gpt2\"", "model_type 'gpt2' is not supported" },
        { "model_type", "[\"bert\"]", "expected a string" },
        { "model_type", null, "'model_type' is missing" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void ABadConfigValueNamesTheFileAndTheKey(string key, string? value, string expected)
    {
        var folder = WithConfig(key, value);
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(folder, addPoolingLayer: true));
        Assert.Contains(Path.Combine(folder, "config.json"), ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("vocab_size", "16777216")]
    [InlineData("num_hidden_layers", "1024")]
    [InlineData("intermediate_size", "1048576")]
    public void AConfigDeclaringMoreThanItsWeightsHoldIsRefusedBeforeTheEncoderIsBuilt(string key, string value)
    {
        // In range, but the tiny folder's 0.2 MB of weights cannot hold it: building it would allocate gigabytes first.
        var folder = WithConfig(key, value);
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(folder, addPoolingLayer: true));
        Assert.Contains("config.json declares a bert encoder of at least", ex.Message);
        Assert.Contains("model.safetensors holds only", ex.Message);
    }

    [Fact]
    public void AJsonFileBeyondAnyRealConfigIsRefusedBeforeItIsRead()
    {
        var folder = WithConfig("hidden_size", "64");
        using (var f = new FileStream(Path.Combine(folder, "config.json"), FileMode.Open)) f.SetLength(65L << 20);   // sparse: no disk used
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.ReadConfig(folder));
        Assert.Contains("beyond the 64 MiB", ex.Message);
    }

    [Fact]
    public void AVocabularyLargerThanTheWordEmbeddingsIsRefusedBeforeTraining()
    {
        var folder = WithConfig("hidden_size", "64");
        File.AppendAllLines(Path.Combine(folder, "vocab.txt"), Enumerable.Range(0, 10).Select(i => $"extra{i}"));
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(Microsoft.ML.Lora.Tests.TextClassification.ToyData.Sentiment(repeat: 1));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var ex = Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(folder), Epochs = 1 }).Fit(data));
        Assert.Contains("the tokenizer has", ex.Message);
        Assert.Contains("vocab_size", ex.Message);
    }

    [Fact]
    public void AVocabTxtBeyondAnyRealVocabularyIsRefusedBeforeItIsRead()
    {
        var folder = WithConfig("hidden_size", "64");
        using (var f = new FileStream(Path.Combine(folder, "vocab.txt"), FileMode.Open)) f.SetLength(65L << 20);   // sparse
        var ex = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromHuggingFaceFolder(folder));
        Assert.Contains("vocab.txt", ex.Message);
        Assert.Contains("beyond the 64 MiB", ex.Message);
    }

    private string TokenizerFolder(string tokenizerJson)
    {
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizerJson);
        return folder;
    }

    private static string Tokenizer(string vocab, string model = "\"type\": \"WordPiece\"", string normalizer = "{\"type\": \"BertNormalizer\", \"lowercase\": true}")
        => "{\"model\": {" + model + ", \"unk_token\": \"[UNK]\", \"vocab\": {" + vocab + "}}, \"normalizer\": " + normalizer
            + ", \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}";

    private const string Specials = "\"[PAD]\": 0, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, \"[MASK]\": 4";

    public static TheoryData<string, string> BadTokenizers => new()
    {
        { Tokenizer(Specials + ", \"a\": 2000000000"), "has the id 2000000000, far beyond" },
        { Tokenizer(Specials + ", \"a\": -1"), "negative id -1" },
        { Tokenizer(Specials + ", \"a\": \"5\""), "expected an integer id" },
        { Tokenizer(Specials + ", \"a\": 4"), "both have the id 4" },
        { Tokenizer(Specials, model: "\"type\": \"BPE\""), "only WordPiece" },
        { Tokenizer(Specials, model: "\"type\": 3"), "expected a string" },
        { Tokenizer(Specials, normalizer: "{\"type\": \"BertNormalizer\", \"lowercase\": \"yes\"}"), "\"normalizer.lowercase\" is \"yes\"" },
        { Tokenizer(Specials, normalizer: "{\"type\": \"NFKC\"}"), "only BertNormalizer" },
        { Tokenizer(Specials, model: "\"type\": \"WordPiece\", \"max_input_chars_per_word\": \"100\""), "\"model.max_input_chars_per_word\"" },
        { "[]", "expected an object" },
        { "{\"model\": ", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadTokenizers))]
    public void ABadTokenizerJsonNamesTheFileAndTheProblem(string json, string expected)
    {
        var folder = TokenizerFolder(json);
        var ex = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromHuggingFaceFolder(folder));
        Assert.Contains(Path.Combine(folder, "tokenizer.json"), ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("special_tokens_map.json", "{\"cls_token\": 5}", "cls_token")]
    [InlineData("tokenizer_config.json", "{\"do_lower_case\": \"false\"}", "do_lower_case")]
    [InlineData("tokenizer_config.json", "{\"tokenize_chinese_chars\": 1}", "tokenize_chinese_chars")]
    [InlineData("tokenizer_config.json", "[]", "expected an object")]
    public void ABadTokenizerSettingsFileNamesTheFileAndTheKey(string file, string json, string expected)
    {
        var folder = TokenizerFolder(Tokenizer(Specials));
        File.WriteAllText(Path.Combine(folder, file), json);
        var ex = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromHuggingFaceFolder(folder));
        Assert.Contains(Path.Combine(folder, file), ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
