using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Lora.SentenceEmbedding;
using Microsoft.ML.Lora.TextClassification;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Lora;

/// <summary>
/// Writes the case folders <c>../shared/device/peft_roundtrip.py</c> checks in Python PEFT / transformers (layout in the
/// script's docstring): <c>base/</c> (a small random Hugging Face encoder), <c>adapter/</c> (<c>SaveAdapter</c>),
/// <c>merged/</c> (<c>SaveMergedModel</c>) and <c>case.json</c> (inputs, the library's logits as <c>expected</c>, tolerance).
/// One case per task type and architecture the library has a head for, and per LoRA feature written in PEFT's format (DoRA,
/// rank and alpha patterns, exclude_modules, lora_bias, all-linear with a trained pooler, layers_to_transform). Set
/// <c>PEFT_ROUNDTRIP_CASES</c> to a folder to keep the cases of a test run (then copy them and the script to a machine with
/// Python PEFT and run <c>python3 peft_roundtrip.py CASES/*</c>).
/// </summary>
internal static class PeftRoundtripCases
{
    /// <summary>One case: a name, the task type, the base architecture, the LoRA options, the head's outputs.</summary>
    internal sealed record Case(string Name, PeftTaskType TaskType, EncoderArchitecture Architecture, LoraOptions Lora, int Outputs, bool TrainPooler = false);

    public static IReadOnlyList<Case> All { get; } = new[]
    {
        new Case("seqcls-bert-lora", PeftTaskType.SequenceClassification, EncoderArchitecture.Bert, new LoraOptions { Rank = 4, Alpha = 8 }, 3),
        new Case("seqcls-bert-all-linear-trained-pooler-lora-bias", PeftTaskType.SequenceClassification, EncoderArchitecture.Bert,
            new LoraOptions { Rank = 4, Alpha = 16, TargetAllLinear = true, LoraBias = true }, 3, TrainPooler: true),
        new Case("seqcls-roberta-dora-patterns", PeftTaskType.SequenceClassification, EncoderArchitecture.Roberta, new LoraOptions
        {
            Rank = 4, Alpha = 8, UseDora = true, TargetModules = new[] { "query", "value", "attention.output.dense" },
            RankPattern = new Dictionary<string, int> { ["layer.1.attention.self.query"] = 2 },
            AlphaPattern = new Dictionary<string, double> { ["value"] = 4 },
        }, 2),
        new Case("seqcls-distilbert-exclude-rslora", PeftTaskType.SequenceClassification, EncoderArchitecture.DistilBert, new LoraOptions
        {
            Rank = 4, Alpha = 8, UseRsLora = true, TargetModules = new[] { "q_lin", "v_lin", "lin1" },
            ExcludeModules = new[] { "distilbert.transformer.layer.0.ffn.lin1" },
        }, 4),
        new Case("tokencls-bert-layers", PeftTaskType.TokenClassification, EncoderArchitecture.Bert, new LoraOptions { Rank = 4, Alpha = 8, LayersToTransform = new[] { 1 } }, 5),
        new Case("tokencls-distilbert-dora", PeftTaskType.TokenClassification, EncoderArchitecture.DistilBert, new LoraOptions { Rank = 4, Alpha = 8, UseDora = true }, 5),
        new Case("qa-bert-all-linear", PeftTaskType.QuestionAnswering, EncoderArchitecture.Bert, new LoraOptions { Rank = 4, Alpha = 8, TargetAllLinear = true }, 2),
        new Case("qa-roberta-lora", PeftTaskType.QuestionAnswering, EncoderArchitecture.Roberta, new LoraOptions { Rank = 4, Alpha = 16 }, 2),
        new Case("feature-extraction-bert-lora", PeftTaskType.FeatureExtraction, EncoderArchitecture.Bert, new LoraOptions { Rank = 4, Alpha = 16 }, 0),
        new Case("feature-extraction-distilbert-dora", PeftTaskType.FeatureExtraction, EncoderArchitecture.DistilBert, new LoraOptions { Rank = 4, Alpha = 8, UseDora = true }, 0),
    };

    private static readonly string[] Tags = { "O", "B-PER", "I-PER", "B-ORG", "I-ORG" };

    /// <summary>Writes every case into <paramref name="root"/> (one folder each) and returns their folders.</summary>
    public static IReadOnlyList<string> Write(string root)
    {
        var folders = new List<string>();
        foreach (var c in All)
        {
            var folder = Path.Combine(root, c.Name);
            Write(folder, c);
            folders.Add(folder);
        }
        return folders;
    }

    /// <summary>Writes one case into <paramref name="folder"/>.</summary>
    public static void Write(string folder, Case c)
    {
        Directory.CreateDirectory(folder);
        var baseFolder = WriteBase(Path.Combine(folder, "base"), c.Architecture);
        FineTuningTask task = c.TaskType == PeftTaskType.TokenClassification
            ? new NerTask(new NerColumns("Sentence", "Label", "PredictedLabel", "Confidence"), new NerTagSet(Tags), TagScheme.Iob2, 0)
            : c.TaskType == PeftTaskType.QuestionAnswering ? new QuestionAnsweringTask(new LoraQuestionAnsweringOptions())
            : c.TaskType == PeftTaskType.FeatureExtraction ? new SentenceEmbeddingTask(new LoraSentenceEmbeddingOptions())
            : new TextClassificationTask(new TextClassificationColumns("Sentence1", null, "Score", "PredictedLabel", "Label"),
                new KeyValueNames("Text", Enumerable.Range(0, c.Outputs).Select(i => $"class{i}").ToArray()), 1f);
        var source = EncoderSource.FromPretrained(PretrainedModel.FromHuggingFaceFolder(baseFolder, "tiny-random-" + c.Architecture.ToString().ToLowerInvariant()), null, null);
        var pooler = c.Architecture != EncoderArchitecture.Bert || c.TaskType != PeftTaskType.SequenceClassification ? PoolerUse.None
            : c.TrainPooler ? PoolerUse.Trained : PoolerUse.Frozen;
        var method = new LoraMethod(c.Lora);
        var ready = ReadyModelBuilder.Build(source, new HeadSpec(c.Outputs, pooler), task.CreateHead, method, CPU, seed: 5, peftTaskType: c.TaskType);
        Randomize(ready.Model);
        var model = new FineTunedModel(ready);
        // As SaveAdapter / SaveMergedModel name them: the task's names, else Hugging Face's LABEL_i; none without a head.
        var names = task.OutputNames ?? (c.Outputs > 0 ? HuggingFaceModelConfig.DefaultLabels(c.Outputs) : null);
        method.SavePeftAdapter(model.Model, c.TaskType, Path.Combine(folder, "adapter"), model.BaseModelId, names);
        MergedModelWriter.Write(Path.Combine(folder, "merged"), model, c.TaskType, names);

        // Rows of equal length with no padding: Hugging Face computes padded positions, this library leaves them zero.
        var config = model.Model.Encoder.Config;
        const int batch = 3, length = 10;
        var g = new Generator(17);
        var ids = randint(config.PadTokenId + 2, config.VocabSize, new long[] { batch, length }, generator: g);
        ids[TensorIndex.Colon, 0] = 2;   // [CLS]-like first token
        var mask = ones(batch, length, dtype: ScalarType.Int64);
        var types = config.TypeVocabSize > 1 ? cat(new[] { zeros(batch, length / 2, dtype: ScalarType.Int64), ones(batch, length - length / 2, dtype: ScalarType.Int64) }, 1) : null;
        var logits = Outputs(model, c.TaskType, ids.data<long>().ToArray(), mask.data<long>().ToArray(), types?.data<long>().ToArray(), batch, length);
        var json = new JsonObject
        {
            ["task"] = c.TaskType.Name,
            ["num_labels"] = c.Outputs,
            ["input_ids"] = Nested(ids),
            ["attention_mask"] = Nested(mask),
            ["expected"] = Expected(logits, ExpectedShape(c, config, batch, length)),
            ["tolerance"] = 1e-4,
        };
        if (types is not null) json["token_type_ids"] = Nested(types);
        File.WriteAllText(Path.Combine(folder, "case.json"), json.ToJsonString());
    }

    /// <summary>
    /// What peft_roundtrip.py compares: the logits ([batch, classes]; per token [batch, length, tags]; QUESTION_ANS start and end
    /// per token [batch, length, 2]), or for FEATURE_EXTRACTION the encoder's last hidden state [batch, length, hidden].
    /// </summary>
    public static float[] Outputs(FineTunedModel model, PeftTaskType taskType, long[] ids, long[] mask, long[]? types, int batch, int length)
    {
        if (taskType != PeftTaskType.FeatureExtraction) return model.Logits(ids, mask, types, batch, length);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var shape = new long[] { batch, length };
        return model.Model.Encoder.Encode(tensor(ids, shape), tensor(mask, shape), types is null ? null : tensor(types, shape))
            .to(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>The shape of <see cref="Outputs"/> for <paramref name="c"/>.</summary>
    public static int[] ExpectedShape(Case c, EncoderConfig config, int batch, int length)
    {
        if (c.TaskType == PeftTaskType.FeatureExtraction) return new[] { batch, length, config.HiddenSize };
        if (c.TaskType == PeftTaskType.SequenceClassification) return new[] { batch, c.Outputs };
        return new[] { batch, length, c.Outputs };
    }

    /// <summary>A small random base (hidden 32, 2 layers) as a Hugging Face folder: config.json, model.safetensors, vocab.txt.</summary>
    private static string WriteBase(string folder, EncoderArchitecture arch)
    {
        var vocab = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(TinyHuggingFaceFolder.Words.Distinct()).ToArray();
        var config = TinyModels.Config(arch, vocab: vocab.Length, hidden: 32, layers: 2, heads: 2) with { MaxPositionEmbeddings = 66 };
        manual_seed(arch switch { EncoderArchitecture.Bert => 1, EncoderArchitecture.Roberta => 2, _ => 3 });
        using var encoder = EncoderModel.Create(config, addPoolingLayer: arch == EncoderArchitecture.Bert);
        WeightInit.BertInit(encoder, std: 0.2);
        HuggingFaceFolderWriter.Write(folder, config, encoder.state_dict().ToDictionary(kv => config.Names.Root + "." + kv.Key, kv => kv.Value));
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocab);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"do_lower_case\": true}");
        return folder;
    }

    // A trained-looking adapter: B, the magnitudes and B's bias away from their no-op start, so every tensor matters.
    private static void Randomize(TaskModel model)
    {
        using var _ = no_grad();
        foreach (var l in model.modules().OfType<LoraLinear>())
        {
            l.LoraB.normal_(0, 0.2);
            l.LoraBBias?.normal_(0, 0.2);
            l.MagnitudeVector?.mul_(rand_like(l.MagnitudeVector).mul_(0.5).add_(0.75));
        }
        foreach (var p in model.parameters().Where(p => p.requires_grad && p.dim() >= 1)) p.add_(randn_like(p).mul_(0.05));
    }

    private static JsonArray Nested(Tensor t)
    {
        var rows = new JsonArray();
        for (long i = 0; i < t.shape[0]; i++)
            rows.Add(new JsonArray(t[i].data<long>().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()));
        return rows;
    }

    private static JsonArray Expected(float[] values, int[] shape)
    {
        int at = 0;
        JsonArray Build(int dim)
        {
            var a = new JsonArray();
            for (int i = 0; i < shape[dim]; i++)
                a.Add(dim == shape.Length - 1 ? JsonValue.Create(values[at++]) : Build(dim + 1));
            return a;
        }
        return Build(0);
    }
}
