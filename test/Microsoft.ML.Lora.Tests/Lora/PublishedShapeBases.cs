using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// Randomly initialised Hugging Face base folders of the published bert-base-uncased and distilbert-base-uncased shapes (no
/// base weights exist here; the real adapters in ../shared/peft-fixtures were trained on them), written once per test class
/// that uses them as a fixture: config.json, model.safetensors (BERT's init, std 0.02), a 30,522-token vocab.txt.
/// </summary>
public sealed class PublishedShapeBases : IDisposable
{
    private readonly TempFolder temp = new("lora-published-bases-");
    private readonly Lazy<string> bertBase, distilBert;

    public PublishedShapeBases()
    {
        bertBase = new(() => Write("bert-base-uncased", BertBaseConfig, seed: 11));
        distilBert = new(() => Write("distilbert-base-uncased", DistilBertConfig, seed: 12));
    }

    /// <summary>bert-base-uncased's config.json values: hidden 768, 12 layers, 12 heads, intermediate 3072, vocab 30522, 512 positions, 2 token types.</summary>
    internal static EncoderConfig BertBaseConfig => new()
    {
        Architecture = EncoderArchitecture.Bert, ModelType = "bert", VocabSize = 30522, HiddenSize = 768, NumLayers = 12, NumHeads = 12,
        IntermediateSize = 3072, MaxPositionEmbeddings = 512, TypeVocabSize = 2, PadTokenId = 0,
    };

    /// <summary>distilbert-base-uncased's: dim 768, 6 layers, 12 heads, hidden_dim 3072, vocab 30522, 512 positions.</summary>
    internal static EncoderConfig DistilBertConfig => new()
    {
        Architecture = EncoderArchitecture.DistilBert, ModelType = "distilbert", VocabSize = 30522, HiddenSize = 768, NumLayers = 6, NumHeads = 12,
        IntermediateSize = 3072, MaxPositionEmbeddings = 512, TypeVocabSize = 0, PadTokenId = 0, ClassifierDropout = 0.2,
    };

    /// <summary>The bert-base-uncased-shaped folder (with BERT's pooler).</summary>
    public string BertBase => bertBase.Value;

    /// <summary>The distilbert-base-uncased-shaped folder.</summary>
    public string DistilBert => distilBert.Value;

    /// <summary>The folder of <paramref name="architecture"/>'s published shape.</summary>
    internal string For(EncoderArchitecture architecture) => architecture == EncoderArchitecture.DistilBert ? DistilBert : BertBase;

    public void Dispose() => temp.Dispose();

    // Holding the shared weights keeps them in the cache for the whole class: every import in it reuses one copy (no re-read).
    private readonly List<SharedEncoderWeights.Lease> held = new();

    private string Write(string name, EncoderConfig config, long seed)
    {
        var folder = Path.Combine(temp.Path, name);
        bool pooler = config.Architecture == EncoderArchitecture.Bert;
        // libtorch's serial CPU generator needs ~15 s for BERT's init of 110M weights on this machine; a random pool laid out
        // at shifting offsets gives random-looking weights of the right scale (std 0.02, LayerNorm 1/0) in a fraction of that.
        manual_seed(seed);
        using var pool = randn(1 << 22).mul_(0.02);
        var encoder = OnMeta(() => EncoderModel.Create(config, pooler));
        long offset = 0;
        using (no_grad())
            foreach (var (moduleName, module) in encoder.named_modules())
                foreach (var (paramName, p) in module.named_parameters(recurse: false).ToList())
                {
                    var value = module is TorchSharp.Modules.LayerNorm
                        ? (paramName == "weight" ? ones(p.shape) : zeros(p.shape))
                        : Tiled(pool, p.numel(), offset += 7919).reshape(p.shape);
                    SharedEncoderWeights.SetParameter(module, paramName, new Parameter(value, requires_grad: false));
                }
        HuggingFaceFolderWriter.Write(folder, config, encoder.state_dict());
        // bert-base-uncased's specials sit at 0 and 100–103; the rest of the vocabulary is filler of the right size.
        var words = TinyHuggingFaceFolder.Words.Distinct().ToArray();
        var vocab = Enumerable.Range(0, config.VocabSize).Select(i => i switch
        {
            0 => "[PAD]",
            100 => "[UNK]",
            101 => "[CLS]",
            102 => "[SEP]",
            103 => "[MASK]",
            < 100 => $"[unused{i}]",
            _ => i - 104 < words.Length ? words[i - 104] : $"w{i}",
        });
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocab);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"do_lower_case\": true}");
        // The cache gets these very tensors (the folder's values), so no test of the class reads the weights back from disk.
        var loaded = SharedEncoderWeights.Load(folder, config, withPooler: true, CPU, _ => new LoadedEncoder(encoder, Array.Empty<string>()));
        held.Add(loaded.Shared!);
        loaded.Encoder.Dispose();
        return folder;
    }

    private static Tensor Tiled(Tensor pool, long count, long offset)
    {
        long n = pool.numel(), start = offset % n;
        var rolled = start == 0 ? pool : cat(new[] { pool[TensorIndex.Slice(start)], pool[TensorIndex.Slice(0, start)] });
        return count <= n ? rolled[TensorIndex.Slice(0, count)].clone() : rolled.repeat((count + n - 1) / n)[TensorIndex.Slice(0, count)].clone();
    }

    private static T OnMeta<T>(Func<T> create)
    {
        set_default_device(META);
        try { return create(); }
        finally { set_default_device(CPU); }
    }
}

/// <summary>Where the real PEFT adapters live: ../shared/peft-fixtures beside the repository (README there).</summary>
internal static class PeftFixtures
{
    public static string Folder(string name)
    {
        var path = Path.GetFullPath(Path.Combine(TestData.RepoRoot, "..", "shared", "peft-fixtures", name));
        return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"PEFT fixture folder not found: {path} (../shared/peft-fixtures beside the repository).");
    }
}
