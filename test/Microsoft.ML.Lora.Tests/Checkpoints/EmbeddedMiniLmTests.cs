using System.Text;
using System.Text.Json;
using Microsoft.ML.Lora.Checkpoints;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

public class EmbeddedMiniLmTests(ConvertedMiniLmFolderFixture converted, ITestOutputHelper output)
    : IClassFixture<ConvertedMiniLmFolderFixture>
{
    [Fact]
    public void FirstCall_ConvertsIntoANamedHashedFolder_AndLogsIt()
    {
        output.WriteLine($"conversion took {converted.ConversionTime.TotalSeconds:0.00} s: {string.Join(" | ", converted.FirstCallLog)}");
        Assert.Equal(Path.Combine(converted.CacheRoot, EmbeddedMiniLm.FolderName), converted.Folder);
        Assert.Matches("^all-MiniLM-L6-v2-[0-9a-f]{12}$", Path.GetFileName(converted.Folder));
        Assert.Contains(converted.FirstCallLog, line => line.Contains("Converting", StringComparison.Ordinal));
        Assert.Equal(EmbeddedMiniLm.FolderFiles.Order(), Directory.GetFiles(converted.Folder).Select(Path.GetFileName).Order());
        // Nothing left behind by the staging folder.
        Assert.Equal([converted.Folder], Directory.GetFileSystemEntries(converted.CacheRoot));
    }

    [Fact]
    public void SecondCall_ReusesTheFolder_WithoutRewritingOrLogging()
    {
        string weights = Path.Combine(converted.Folder, EmbeddedMiniLm.ModelFileName);
        var writtenAt = File.GetLastWriteTimeUtc(weights);
        var log = new List<string>();

        string again = EmbeddedMiniLm.EnsureHuggingFaceFolder(converted.CacheRoot, log.Add);

        Assert.Equal(converted.Folder, again);
        Assert.Empty(log);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(weights));
    }

    [Fact]
    public void ConfigJson_MatchesTheSafetensorsShapes()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(converted.Folder, "config.json")));
        var c = config.RootElement;
        var shapes = LoadStateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);

        Assert.Equal("bert", c.GetProperty("model_type").GetString());
        Assert.Equal("gelu", c.GetProperty("hidden_act").GetString());
        Assert.Equal(1e-12, c.GetProperty("layer_norm_eps").GetDouble());
        long hidden = c.GetProperty("hidden_size").GetInt64();
        Assert.Equal([c.GetProperty("vocab_size").GetInt64(), hidden], shapes["embeddings.word_embeddings.weight"]);
        Assert.Equal([c.GetProperty("max_position_embeddings").GetInt64(), hidden], shapes["embeddings.position_embeddings.weight"]);
        Assert.Equal([c.GetProperty("type_vocab_size").GetInt64(), hidden], shapes["embeddings.token_type_embeddings.weight"]);
        Assert.Equal([c.GetProperty("intermediate_size").GetInt64(), hidden], shapes["encoder.layer.0.intermediate.dense.weight"]);
        int layers = c.GetProperty("num_hidden_layers").GetInt32();
        Assert.Contains($"encoder.layer.{layers - 1}.output.LayerNorm.bias", shapes.Keys);
        Assert.DoesNotContain($"encoder.layer.{layers}.output.LayerNorm.bias", shapes.Keys);
        Assert.Equal(0, hidden % c.GetProperty("num_attention_heads").GetInt64());
    }

    [Fact]
    public void Safetensors_HoldExactlyTheConvertedTensors()
    {
        var saved = LoadStateDict();
        var expected = MiniLmTestAssets.Checkpoint.Tensors;

        Assert.Equal(expected.Select(t => t.Key).Order(StringComparer.Ordinal), saved.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(tensor.Shape, saved[name].Shape);
            Assert.True(tensor.Values.AsSpan().SequenceEqual(saved[name].Values), $"values of {name} differ");
        }
    }

    [Fact]
    public void Vocabulary_IsTheEmbeddedUncasedWordPieceList_WithLfLineEnds()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(converted.Folder, "vocab.txt"));
        string[] tokens = Encoding.UTF8.GetString(bytes).Split('\n');
        string embedded;
        using (var reader = new StreamReader(EmbeddedMiniLm.OpenVocabulary()))
            embedded = reader.ReadToEnd();

        Assert.DoesNotContain((byte)'\r', bytes);
        Assert.Equal("", tokens[^1]); // trailing newline
        Assert.Equal(30522, tokens.Length - 1);
        Assert.Equal(embedded.Split('\n').Select(t => t.TrimEnd('\r')).Where(t => t.Length > 0), tokens[..^1]);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], new[] { 0, 100, 101, 102, 103 }.Select(i => tokens[i]));
        // Uncased: apart from the bracketed special tokens nothing has an upper-case letter.
        Assert.DoesNotContain(tokens, t => !(t.StartsWith('[') && t.EndsWith(']')) && t != t.ToLowerInvariant());
    }

    [Fact]
    public void TokenizerConfig_IsUncasedBert_WithThePositionTableAsMaxLength()
    {
        using var tokenizer = JsonDocument.Parse(File.ReadAllText(Path.Combine(converted.Folder, "tokenizer_config.json")));
        using var sentenceBert = JsonDocument.Parse(File.ReadAllText(Path.Combine(converted.Folder, "sentence_bert_config.json")));
        using var special = JsonDocument.Parse(File.ReadAllText(Path.Combine(converted.Folder, "special_tokens_map.json")));

        Assert.True(tokenizer.RootElement.GetProperty("do_lower_case").GetBoolean());
        Assert.Equal(512, tokenizer.RootElement.GetProperty("model_max_length").GetInt32());
        Assert.Equal("BertTokenizer", tokenizer.RootElement.GetProperty("tokenizer_class").GetString());
        Assert.Equal(256, sentenceBert.RootElement.GetProperty("max_seq_length").GetInt32());
        Assert.Equal("[CLS]", special.RootElement.GetProperty("cls_token").GetString());
    }

    [Fact]
    public void DamagedFolder_IsReplacedByAFreshConversion()
    {
        using var temp = new TempFolder();
        string root = temp.Path;
        string target = Path.Combine(root, EmbeddedMiniLm.FolderName);
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "config.json"), "{}");

        string folder = EmbeddedMiniLm.EnsureHuggingFaceFolder(root);

        Assert.Equal(target, folder);
        Assert.True(EmbeddedMiniLm.IsComplete(folder));
        Assert.Contains("\"model_type\": \"bert\"", File.ReadAllText(Path.Combine(folder, "config.json")));
        Assert.Equal([target], Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public void Publish_WhenAnotherProcessWonTheRace_KeepsTheirFolder()
    {
        using var temp = new TempFolder();
        string root = temp.Path;
        string target = Path.Combine(root, "model"), staging = Path.Combine(root, ".tmp-model");
        Directory.CreateDirectory(target);
        Directory.CreateDirectory(staging);
        foreach (string file in EmbeddedMiniLm.FolderFiles)
        {
            File.WriteAllText(Path.Combine(target, file), "theirs");
            File.WriteAllText(Path.Combine(staging, file), "ours");
        }

        bool published = EmbeddedMiniLm.TryPublish(staging, target);

        Assert.False(published);
        Assert.Equal("theirs", File.ReadAllText(Path.Combine(target, "config.json")));
    }

    [Fact]
    public void Publish_WhenTheTargetIsFree_MovesTheStagedFolder()
    {
        using var temp = new TempFolder();
        string root = temp.Path;
        string target = Path.Combine(root, "model"), staging = Path.Combine(root, ".tmp-model");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "config.json"), "ours");

        Assert.True(EmbeddedMiniLm.TryPublish(staging, target));
        Assert.False(Directory.Exists(staging));
        Assert.Equal("ours", File.ReadAllText(Path.Combine(target, "config.json")));
    }

    [Fact]
    public void Folder_LoadsAsAHuggingFaceBertEncoder_ThatReproducesOnnxRuntime()
    {
        using var scope = torch.NewDisposeScope();
        var loaded = HuggingFaceCheckpoint.LoadEncoder(converted.Folder, addPoolingLayer: true);
        using var encoder = loaded.Encoder;
        encoder.eval();
        long[] ids = [101, 1996, 4248, 2829, 4419, 102, 101, 7592, 2088, 102, 0, 0];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        long[] types = new long[ids.Length];

        float[] actual;
        using (torch.no_grad())
            actual = encoder.Encode(torch.tensor(ids, [2, 6]), torch.tensor(mask, [2, 6]), torch.tensor(types, [2, 6])).data<float>().ToArray();
        var expected = OnnxMiniLmReference.LastHiddenState(ids, mask, types, 2, 6);

        Assert.Empty(loaded.NewlyInitialized);
        Assert.Equal((384, 6, 12), (encoder.Config.HiddenSize, encoder.Config.NumLayers, encoder.Config.NumHeads));
        Assert.Equal(expected.Length, actual.Length);
        // Padded positions are left out: their states depend on how masking is implemented, not on the weights.
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
            if (mask[i / OnnxMiniLmReference.HiddenSize] == 1)
                max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        output.WriteLine($"max |ORT - TorchSharp encoder| over real tokens: {max:E2}");
        Assert.True(max < 1e-4, $"the loaded encoder differs from ONNX Runtime by {max}");
    }

    [Theory]
    [InlineData("/explicit", "/from-env", "/home/u/.local/share", "/explicit")]
    [InlineData(null, "/from-env", "/home/u/.local/share", "/from-env")]
    [InlineData(null, null, "/home/u/.local/share", "/home/u/.local/share/Microsoft.ML.Lora/models")]
    [InlineData("", " ", "/home/u/.local/share", "/home/u/.local/share/Microsoft.ML.Lora/models")]
    public void CacheRoot_PrefersTheArgument_ThenLoraCache_ThenLocalApplicationData(
        string? argument, string? variable, string appData, string expected)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return; // the inline paths are Unix paths
        Assert.Equal(expected, EmbeddedMiniLm.ResolveCacheRoot(argument, variable, appData));
    }

    private Dictionary<string, FloatTensorData> LoadStateDict()
    {
        using var scope = torch.NewDisposeScope();
        var state = Safetensors.LoadStateDict(Path.Combine(converted.Folder, EmbeddedMiniLm.ModelFileName));
        return state.ToDictionary(kv => kv.Key, kv =>
        {
            Assert.Equal(torch.ScalarType.Float32, kv.Value.dtype);
            return new FloatTensorData(kv.Value.shape, kv.Value.data<float>().ToArray());
        });
    }
}
