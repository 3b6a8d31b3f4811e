using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tests.TextClassification;
using Microsoft.ML.Lora.TextClassification;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>The two head kinds the export tests cover.</summary>
/// <summary>The head of a test model: a sequence head on the first token, one on the mean of the tokens, a token head.</summary>
public enum Head { Sequence, MeanSequence, Token }

/// <summary>Tiny random task models in inference form, a ragged batch for them, and their logits from the library.</summary>
internal static class ExportTestModels
{
    public static FineTuningMethod? Method(string name) => name switch
    {
        "none" => null,
        "lora" => FineTuningMethod.Lora(new LoraOptions { Rank = 2, Alpha = 4, TargetAllLinear = true }),
        "adapters" => FineTuningMethod.Adapters(bottleneckSize: 4),
        "adapters-relu" => FineTuningMethod.Adapters(bottleneckSize: 4, activation: AdapterActivation.Relu),
        "prefix" => FineTuningMethod.PrefixTuning(length: 3, hiddenSize: 8),
        "prefix-plain" => FineTuningMethod.PrefixTuning(length: 3, reparameterize: false),
        _ => throw new ArgumentException($"unknown method '{name}'", nameof(name)),
    };

    /// <summary>
    /// A model with every parameter random (LayerNorm scales near 1, LoRA B and adapter up-projections non-zero, so each
    /// block's contribution shows in the logits), the method applied and prepared for inference (LoRA merged, prefix cached).
    /// </summary>
    public static TaskModel Create(EncoderArchitecture arch, Head head, string method = "none", string? hiddenAct = null, long seed = 1)
    {
        manual_seed(seed);
        var c = TinyModels.Config(arch) with { HiddenDropout = 0, AttentionDropout = 0, ClassifierDropout = 0 };
        if (hiddenAct is not null) c = c with { HiddenAct = hiddenAct };
        var encoder = EncoderModel.Create(c, addPoolingLayer: arch == EncoderArchitecture.Bert && head == Head.Sequence);
        TaskModel model = head switch
        {
            Head.Sequence => new SequenceClassificationModel(encoder, 3),
            Head.MeanSequence => new SequenceClassificationModel(encoder, 3, pooling: TokenPooling.Mean),
            _ => new TokenClassificationModel(encoder, 5),
        };
        var m = Method(method);
        m?.Apply(model);
        Randomize(model);
        model.eval();
        m?.PrepareForInference(model);
        return model;
    }

    public static IOnnxHead OnnxHead(TaskModel model) => model is SequenceClassificationModel sequence
        ? SequenceClassificationOnnxHead.For(sequence.Pooling)
        : TokenClassificationOnnxHead.Instance;

    public static void Randomize(TaskModel model)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("LayerNorm") || name.Contains("layer_norm")) p.normal_(name.EndsWith(".weight") ? 1 : 0, 0.1);
            else p.normal_(0, 0.3);
        }
    }

    /// <summary>Rows of lengths 7, 3, 5 and 1 padded to 7 with the pad id; BERT token types 1 on the second half of each row.</summary>
    public static (long[] Ids, long[] Mask, long[]? Types) RaggedBatch(EncoderConfig c, long seed = 11)
    {
        int[] lengths = { 7, 3, 5, 1 };
        var rng = new Random((int)seed);
        var ids = new long[4 * 7];
        var mask = new long[4 * 7];
        var types = new long[4 * 7];
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < 7; t++)
            {
                bool real = t < lengths[r];
                ids[r * 7 + t] = real ? rng.Next(2, c.VocabSize) : c.PadTokenId;
                mask[r * 7 + t] = real ? 1 : 0;
                types[r * 7 + t] = real && t >= (lengths[r] + 1) / 2 ? 1 : 0;
            }
        return (ids, mask, OnnxModelBuilder.TakesTokenTypes(c) ? types : null);
    }

    /// <summary>The library's logits for a padded batch, row-major.</summary>
    public static float[] LibraryLogits(TaskModel model, long[] ids, long[] mask, long[]? types, int batch, int length)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var shape = new long[] { batch, length };
        return model.forward(tensor(ids, shape), tensor(mask, shape), types is null ? null : tensor(types, shape)).data<float>().ToArray();
    }

    /// <summary>A LoRA classifier of the toy sentiment set on a tiny random BERT, fitted for two epochs (enough for non-zero LoRA B).</summary>
    public static (MLContext Ml, IDataView Data, LoraTextClassificationTransformer Model) FitTinyClassifier(TempFolder temp)
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(ToyData.Sentiment(repeat: 1));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp)),
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8 }), Epochs = 2, BatchSize = 8, LearningRate = 1e-2, Seed = 3,
        }).Fit(data);
        return (ml, data, model);
    }

    /// <summary>The library's class logits of <paramref name="texts"/>, tokenized with the model's own tokenizer and maximum length.</summary>
    public static float[][] ClassifierLogits(FineTunedModel model, IReadOnlyList<string> texts, int? maxLength = null)
    {
        var encoded = texts.Select(t => model.Tokenizer.Encode(t, null, maxLength ?? model.MaxSequenceLength)).ToList();
        return BatchedLogits.Compute(model, encoded.Select(e => e.InputIds.ToArray()).ToList(), encoded.Select(e => e.TokenTypeIds.ToArray()).ToList(), 32, perToken: false);
    }

    /// <summary>max |a − b| over the values that belong to real tokens (token heads) or to every row (sequence heads).</summary>
    public static float MaxDiff(float[] a, float[] b, long[] mask, int labels, bool perToken)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} vs {b.Length} values");
        float max = 0;
        for (int i = 0; i < a.Length; i++)
            if (!perToken || mask[i / labels] == 1) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
