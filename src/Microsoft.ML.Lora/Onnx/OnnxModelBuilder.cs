using System.Reflection;
using Microsoft.ML.Lora.Models;
using Onnx;
using static Onnx.TensorProto.Types;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// Builds the ONNX model of a task model in inference form: inputs <c>input_ids</c>, <c>attention_mask</c> and, for
/// encoders with more than one token type (BERT), <c>token_type_ids</c>, all int64 [batch, sequence]; the encoder; the
/// head's outputs (float32). Opset 17, weights as float32 initializers inside the file.
/// </summary>
internal static class OnnxModelBuilder
{
    public const string InputIds = "input_ids", AttentionMask = "attention_mask", TokenTypeIds = "token_type_ids";

    // Protocol buffers cannot hold more than 2 GiB; leave room for the graph itself.
    private const long MaxWeightBytes = int.MaxValue - (64L << 20);

    /// <summary>True when the exported graph takes <c>token_type_ids</c>: BERT does; RoBERTa (one type) and DistilBERT (none) do not.</summary>
    public static bool TakesTokenTypes(EncoderConfig config) => config.TypeVocabSize > 1;

    public static ModelProto Build(TaskModel model, IOnnxHead head, string description)
    {
        var c = model.Encoder.Config;
        long bytes = model.parameters().Sum(p => p.numel()) * sizeof(float);
        if (bytes > MaxWeightBytes)
            throw new NotSupportedException(
                $"ONNX export: the model's weights take {bytes / 1048576.0:F0} MiB as float32; a single ONNX file holds at most 2 GiB (external data is not supported).");
        var g = new OnnxGraphBuilder($"{c.ModelType}{head.HuggingFaceClassSuffix}");
        var inputs = new EncoderInputs(
            g.Input(InputIds, DataType.Int64, "batch", "sequence"),
            g.Input(AttentionMask, DataType.Int64, "batch", "sequence"),
            TakesTokenTypes(c) ? g.Input(TokenTypeIds, DataType.Int64, "batch", "sequence") : null);
        using (no_grad())
        {
            var encoder = new EncoderExport(new EncoderGraph(g, new ModelWeights(model), inputs));
            foreach (var o in head.Emit(encoder, model.NumLabels)) g.Output(o.Name, o.Value, DataType.Float, o.Dims);
        }
        var result = new ModelProto
        {
            IrVersion = 8,   // the IR of opset 17
            ProducerName = "Microsoft.ML.Lora",
            ProducerVersion = typeof(OnnxModelBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = description,
            Graph = g.Build(),
        };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxGraphBuilder.Opset });
        return result;
    }
}
