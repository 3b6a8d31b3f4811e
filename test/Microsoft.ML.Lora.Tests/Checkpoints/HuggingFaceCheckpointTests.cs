using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

public class HuggingFaceCheckpointTests
{
    private static (EncoderModel Model, Tensor Output, Tensor Ids, Tensor Mask) Reference(EncoderArchitecture arch)
    {
        manual_seed(11);
        var model = EncoderModel.Create(TinyModels.Config(arch), addPoolingLayer: arch == EncoderArchitecture.Bert);
        model.eval();
        var (ids, mask) = TinyModels.Batch(model.Config);
        using var _ = no_grad();
        return (model, model.Encode(ids, mask).clone(), ids, mask);
    }

    private static Tensor Run(EncoderModel m, Tensor ids, Tensor mask)
    {
        m.eval();
        using var _ = no_grad();
        return m.Encode(ids, mask).clone();
    }

    [Theory]
    [InlineData(Architecture.Bert, "")]
    [InlineData(Architecture.Bert, "bert.")]
    [InlineData(Architecture.Roberta, "roberta.")]
    [InlineData(Architecture.DistilBert, "")]
    [InlineData(Architecture.DistilBert, "distilbert.")]
    public void SafetensorsFolderLoadsBackToIdenticalOutputs(Architecture architecture, string prefix)
    {
        var arch = architecture.ToEncoder();
        var (model, expected, ids, mask) = Reference(arch);
        using var dir = new TempFolder();
        HuggingFaceFolderWriter.Write(dir.Path, model.Config, model.state_dict().ToDictionary(kv => prefix + kv.Key, kv => kv.Value));
        var loaded = HuggingFaceCheckpoint.LoadEncoder(dir.Path, addPoolingLayer: true);
        Assert.Empty(loaded.NewlyInitialized);
        Assert.Equal(model.Config, loaded.Encoder.Config);
        Assert.True(TensorAssert.Identical(expected, Run(loaded.Encoder, ids, mask)));
    }

    [Fact]
    public void ShardedSafetensorsLoad()
    {
        var (model, expected, ids, mask) = Reference(EncoderArchitecture.Bert);
        using var dir = new TempFolder();
        File.WriteAllText(dir["config.json"], model.Config.ToJson());
        var all = model.state_dict().ToList();
        var map = new List<string>();
        for (int s = 0; s < 2; s++)
        {
            var shard = $"model-0000{s + 1}-of-00002.safetensors";
            var part = all.Where((_, i) => i % 2 == s).ToDictionary(kv => kv.Key, kv => kv.Value);
            HuggingFaceFolderWriter.WriteSafetensors(dir[shard], part);
            map.AddRange(part.Keys.Select(k => $"\"{k}\": \"{shard}\""));
        }
        File.WriteAllText(dir["model.safetensors.index.json"], "{\"metadata\": {}, \"weight_map\": {" + string.Join(",", map) + "}}");
        var loaded = HuggingFaceCheckpoint.LoadEncoder(dir.Path, addPoolingLayer: true);
        Assert.True(TensorAssert.Identical(expected, Run(loaded.Encoder, ids, mask)));
    }

    [Fact]
    public void PytorchBinWithLegacyGammaBetaNamesLoads()
    {
        var (model, expected, ids, mask) = Reference(EncoderArchitecture.Bert);
        using var dir = new TempFolder();
        File.WriteAllText(dir["config.json"], model.Config.ToJson());
        var legacy = model.state_dict().ToDictionary(
            kv => "bert." + kv.Key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"), kv => kv.Value);
        using (var f = new FileStream(dir["pytorch_model.bin"], FileMode.Create)) PyTorchPickler.PickleStateDict(f, legacy);
        var loaded = HuggingFaceCheckpoint.LoadEncoder(dir.Path, addPoolingLayer: true);
        Assert.True(TensorAssert.Identical(expected, Run(loaded.Encoder, ids, mask)));
    }

    [Fact]
    public void CheckpointWithoutPoolerReportsItAsNewlyInitialized()
    {
        var (model, _, _, _) = Reference(EncoderArchitecture.Bert);
        using var dir = new TempFolder();
        HuggingFaceFolderWriter.Write(dir.Path, model.Config, model.state_dict().Where(kv => !kv.Key.StartsWith("pooler")).ToDictionary(kv => kv.Key, kv => kv.Value));
        var loaded = HuggingFaceCheckpoint.LoadEncoder(dir.Path, addPoolingLayer: true);
        Assert.Equal(new[] { "pooler.dense.weight", "pooler.dense.bias" }, loaded.NewlyInitialized.OrderByDescending(n => n));
    }

    [Fact]
    public void BadFoldersGiveClearErrors()
    {
        var (model, _, _, _) = Reference(EncoderArchitecture.Bert);
        var weights = model.state_dict();
        using var dir = new TempFolder();

        var e1 = Assert.Throws<DirectoryNotFoundException>(() => HuggingFaceCheckpoint.LoadEncoder(dir["nope"], true));
        Assert.Contains(dir["nope"], e1.Message);

        var e2 = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("config.json", e2.Message);

        File.WriteAllText(dir["config.json"], model.Config.ToJson());
        var e3 = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("model.safetensors", e3.Message);
        Assert.Contains("pytorch_model.bin", e3.Message);

        HuggingFaceFolderWriter.WriteSafetensors(dir["model.safetensors"], weights.Where(kv => kv.Key != "encoder.layer.1.attention.self.key.weight").ToDictionary(kv => kv.Key, kv => kv.Value));
        var e4 = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("encoder.layer.1.attention.self.key.weight", e4.Message);
        Assert.Contains("[16, 16]", e4.Message);
        Assert.Contains("missing", e4.Message);

        var wrong = weights.ToDictionary(kv => kv.Key, kv => kv.Key == "encoder.layer.0.intermediate.dense.weight" ? zeros(31, 16) : kv.Value);
        HuggingFaceFolderWriter.WriteSafetensors(dir["model.safetensors"], wrong);
        var e5 = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("model.safetensors", e5.Message);
        Assert.Contains("encoder.layer.0.intermediate.dense.weight", e5.Message);
        Assert.Contains("[31, 16]", e5.Message);
        Assert.Contains("expected [32, 16]", e5.Message);

        var bytes = File.ReadAllBytes(dir["model.safetensors"]);
        File.WriteAllBytes(dir["model.safetensors"], bytes[..(bytes.Length / 2)]);
        var e6 = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("model.safetensors", e6.Message);
        Assert.Contains("truncated", e6.Message);

        File.Delete(dir["model.safetensors"]);
        File.WriteAllText(dir["model.safetensors.index.json"], "{\"weight_map\": {\"embeddings.word_embeddings.weight\": \"model-00001-of-00002.safetensors\"}}");
        var e7 = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("model-00001-of-00002.safetensors", e7.Message);

        File.WriteAllText(dir["config.json"], "{\"model_type\": \"bert\", \"hidden_size\": 10, \"num_attention_heads\": 3}");
        var e8 = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(dir.Path, true));
        Assert.Contains("config.json", e8.Message);
    }
}
