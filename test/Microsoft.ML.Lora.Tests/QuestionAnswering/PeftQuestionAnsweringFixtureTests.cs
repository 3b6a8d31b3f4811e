using System.Reflection;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tests.Tokenization;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>
/// The QUESTION_ANS adapter Hugging Face PEFT wrote for bert-base-uncased (../shared/peft-fixtures/bert-base-uncased-qa:
/// r 16, alpha 32, query and value, qa_outputs saved) loaded onto a randomly initialised bert-base-shaped base built here.
/// </summary>
public sealed class PeftQuestionAnsweringFixtureTests : IDisposable
{
    private static string Fixture => Path.GetFullPath(Path.Combine(TestData.RepoRoot, "..", "shared", "peft-fixtures", "bert-base-uncased-qa"));

    private readonly TempFolder temp = new("lora-bert-base-");   // ~440 MB of random weights, deleted at dispose

    public void Dispose() => temp.Dispose();

    /// <summary>bert-base-uncased's published config.json with random weights (BERT's init), its pooler, and its vocabulary (MiniLM's is the same).</summary>
    private string BertBaseFolder()
    {
        var folder = temp["bert-base-uncased-random"];
        var config = new EncoderConfig
        {
            Architecture = EncoderArchitecture.Bert, ModelType = "bert", VocabSize = 30522, HiddenSize = 768, NumLayers = 12, NumHeads = 12,
            IntermediateSize = 3072, MaxPositionEmbeddings = 512, TypeVocabSize = 2, PadTokenId = 0,
        };
        manual_seed(11);
        using (var model = EncoderModel.Create(config, addPoolingLayer: true))
        {
            var prefixed = model.state_dict().ToDictionary(kv => "bert." + kv.Key, kv => kv.Value);
            HuggingFaceFolderWriter.Write(folder, config, prefixed);
        }
        File.Copy(MiniLmVocabulary.Path, Path.Combine(folder, "vocab.txt"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"do_lower_case\": true}");
        return folder;
    }

    [Fact]
    public void EveryTensorLandsWhereThePeftPutsItMergedWeightsAreExactAndQaOutputsIsLoaded()
    {
        Assert.True(Directory.Exists(Fixture), $"PEFT fixture missing: {Fixture}");
        string baseFolder = BertBaseFolder();
        var ml = new MLContext(seed: 1);
        var transformer = ml.Transforms.LoraFineTune(new LoraQuestionAnsweringOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), MaxSequenceLength = 384,
        }).FromPeftAdapter(Fixture);
        var model = (FineTunedModel)typeof(FineTunedTransformer).GetProperty("Model", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(transformer)!;
        Assert.Equal("LoRA r=16", transformer.Method.Name);

        var adapter = Safetensors.LoadStateDict(Path.Combine(Fixture, "adapter_model.safetensors"));
        var baseWeights = Safetensors.LoadStateDict(Path.Combine(baseFolder, "model.safetensors"));
        try
        {
            Assert.Equal(50, adapter.Count);   // 12 layers × (query, value) × (A, B) + qa_outputs weight and bias
            var state = model.Model.state_dict();
            foreach (var (key, tensor) in adapter)
            {
                Assert.True(PeftTaskType.QuestionAnswering.TryFromPeftKey("bert", key, out var name), key);
                Assert.True(state.ContainsKey(name), $"{key} → {name} is not a tensor of the model");
                Assert.True(TensorAssert.Identical(tensor, state[name]), $"{name} differs from the adapter's {key}");
            }
            Assert.Equal(new long[] { 2, 768 }, state["qa_outputs.weight"].shape);

            // effective: W0 + (alpha / r)·B·A, against a float64 reference, and through the forward pass used for scoring
            var loras = model.Model.named_modules().Where(m => m.module is LoraLinear).ToList();
            Assert.Equal(24, loras.Count);
            using var _ = no_grad();
            using var identity = eye(768);
            foreach (var (name, module) in loras)
            {
                var lora = (LoraLinear)module;
                Assert.False(lora.Merged, $"{name} is merged: an imported model shares the base's W0 and keeps LoRA beside it");
                Assert.Equal(2.0, lora.Scaling);   // 32 / 16
                var w0 = baseWeights[name + ".weight"];
                Assert.True(TensorAssert.Identical(w0, lora.Weight), $"{name}: W0 is not the base's");
                var expected = w0.to(ScalarType.Float64) + 2.0 * adapter[$"base_model.model.{name}.lora_B.weight"].to(ScalarType.Float64)
                    .matmul(adapter[$"base_model.model.{name}.lora_A.weight"].to(ScalarType.Float64));
                var effective = (lora.forward(identity) - lora.Bias!).t().to(ScalarType.Float64);   // x·Wᵀ + b at x = I
                double error = (effective - expected).abs().max().item<double>();
                Assert.True(error <= 1e-6, $"{name}: merged weight off by {error}");
            }
        }
        finally
        {
            foreach (var t in adapter.Values.Concat(baseWeights.Values)) t.Dispose();
        }

        // and it answers: a random base says nothing sensible, but the span is the context's own text
        const string context = "Apple reported revenue of $94.9 billion for the quarter, up 6% year over year, and Tim Cook said services hit a record.";
        var answer = Assert.Single(transformer.PredictAnswers(context, "How much revenue did Apple report?"));
        Assert.Equal(context.Substring(answer.Start, answer.Text.Length), answer.Text);
    }
}
