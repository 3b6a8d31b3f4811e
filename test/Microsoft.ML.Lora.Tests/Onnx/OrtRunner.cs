using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Microsoft.ML.Lora.Tests.Onnx;

/// <summary>Runs an exported model with ONNX Runtime on a padded batch and returns one output (the first by default), row-major.</summary>
internal static class OrtRunner
{
    public static float[] Run(ModelProto model, long[] ids, long[] mask, long[]? types, int batch, int length)
    {
        using var session = new InferenceSession(model.ToByteArray(), Options());
        return Run(session, ids, mask, types, batch, length);
    }

    public static float[] Run(InferenceSession session, long[] ids, long[] mask, long[]? types, int batch, int length, int output = 0)
    {
        long[] shape = [batch, length];
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(ids, shape), OrtValue.CreateTensorValueFromMemory(mask, shape),
        };
        var names = new List<string> { "input_ids", "attention_mask" };
        if (types is not null)
        {
            values.Add(OrtValue.CreateTensorValueFromMemory(types, shape));
            names.Add("token_type_ids");
        }
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, new[] { session.OutputNames[output] });
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>ONNX Runtime's default optimisations (fusions included), as a user's session has them.</summary>
    public static SessionOptions Options() => new() { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 };
}
