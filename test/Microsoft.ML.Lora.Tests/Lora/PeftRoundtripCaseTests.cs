using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Lora.SentenceEmbedding;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// The case generator for ../shared/device/peft_roundtrip.py writes the layout the script reads, and the library itself,
/// reading each case's adapter (as <c>PeftModel.from_pretrained</c> would) and merged folder (as <c>from_pretrained</c> would),
/// reproduces the case's expected logits: the checks the script makes in Python, made here in .NET.
/// </summary>
public class PeftRoundtripCaseTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void CasesHaveTheScriptsLayoutAndReproduceTheirExpectedLogits()
    {
        // PEFT_ROUNDTRIP_CASES keeps the cases for a machine with Python PEFT.
        var root = Environment.GetEnvironmentVariable("PEFT_ROUNDTRIP_CASES") is { Length: > 0 } keep ? keep : temp.Path;
        var folders = PeftRoundtripCases.Write(root);
        Assert.Equal(PeftRoundtripCases.All.Count, folders.Count);
        var ml = new MLContext(1);
        foreach (var (folder, c) in folders.Zip(PeftRoundtripCases.All))
        {
            foreach (var file in new[] { "base/config.json", "base/model.safetensors", "adapter/adapter_config.json", "adapter/adapter_model.safetensors",
                         "adapter/config.json", "merged/config.json", "merged/model.safetensors", "merged/vocab.txt", "merged/tokenizer_config.json", "case.json" })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{c.Name}: {file} missing");
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "case.json")))!.AsObject();
            Assert.Equal(c.TaskType.Name, json["task"]!.GetValue<string>());
            Assert.Equal(c.Outputs, json["num_labels"]!.GetValue<int>());
            var ids = Matrix(json["input_ids"]!);
            var mask = Matrix(json["attention_mask"]!);
            var types = json["token_type_ids"] is { } t ? Matrix(t) : null;
            Assert.Equal(c.Architecture == EncoderArchitecture.Bert, types is not null);   // DistilBERT and RoBERTa take none
            var expected = Flatten(json["expected"]!);
            int batch = ids.Length, length = ids[0].Length;
            var baseConfig = EncoderConfig.Load(Path.Combine(folder, "base", "config.json"));
            Assert.Equal(PeftRoundtripCases.ExpectedShape(c, baseConfig, batch, length).Aggregate(1, (a, b) => a * b), expected.Count);
            Assert.All(mask.SelectMany(r => r), m => Assert.Equal(1, m));   // no padding: HF computes padded positions, the library does not
            var config = HuggingFaceModelConfig.Read(Path.Combine(folder, "merged", "config.json"))!.Value;
            Assert.Equal(c.TaskType.Architecture(baseConfig), Assert.Single(config.Architectures!));
            Assert.Equal(c.Outputs, config.Labels?.Count ?? 0);   // no id2label for a model without a head

            var fromAdapter = Import(ml, c, folder, merged: false);
            var fromMerged = Import(ml, c, folder, merged: true);
            foreach (var (how, model) in new[] { ("adapter", fromAdapter), ("merged", fromMerged) })
            {
                var logits = PeftRoundtripCases.Outputs(model, c.TaskType, ids.SelectMany(r => r).ToArray(), mask.SelectMany(r => r).ToArray(), types?.SelectMany(r => r).ToArray(), batch, length);
                double diff = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(diff <= 1e-5, $"{c.Name} via {how}: max |logits - expected| = {diff}");
            }
        }
    }

    private static FineTunedModel Import(MLContext ml, PeftRoundtripCases.Case c, string folder, bool merged)
    {
        FineTuningOptions options;
        FineTuningTask task;
        if (c.TaskType == PeftTaskType.TokenClassification)
        {
            var o = new LoraNerOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(Path.Combine(folder, "base")) };
            (options, task) = (o, NerTask.ForImport(o, null));
        }
        else if (c.TaskType == PeftTaskType.QuestionAnswering)
        {
            var o = new LoraQuestionAnsweringOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(Path.Combine(folder, "base")) };
            (options, task) = (o, new QuestionAnsweringTask(o));
        }
        else if (c.TaskType == PeftTaskType.FeatureExtraction)
        {
            var o = new LoraSentenceEmbeddingOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(Path.Combine(folder, "base")) };
            (options, task) = (o, new SentenceEmbeddingTask(o));
        }
        else
        {
            var o = new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(Path.Combine(folder, "base")) };
            (options, task) = (o, TextClassificationTask.ForImport(o, null));
        }
        return merged ? HuggingFaceModelImport.Load(ml, options, task, Path.Combine(folder, "merged"), "test")
            : PeftImport.Load(ml, options, task, Path.Combine(folder, "adapter"), "test");
    }

    private static long[][] Matrix(JsonNode node) => node.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<long>()).ToArray()).ToArray();

    private static List<float> Flatten(JsonNode node)
    {
        var result = new List<float>();
        void Walk(JsonNode n)
        {
            if (n is JsonArray a) foreach (var x in a) Walk(x!);
            else result.Add(n.GetValue<float>());
        }
        Walk(node);
        return result;
    }
}
