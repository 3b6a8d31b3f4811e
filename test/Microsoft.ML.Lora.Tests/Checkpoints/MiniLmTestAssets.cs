using Microsoft.ML.Lora.Checkpoints;
using Onnx;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

/// <summary>The embedded MiniLM parsed and converted once per test process (each is ~90 MB and ~1 s).</summary>
internal static class MiniLmTestAssets
{
    private static readonly Lazy<ModelProto> _onnx = new(() =>
    {
        using var stream = EmbeddedMiniLm.OpenOnnxModel();
        return ModelProto.Parser.ParseFrom(stream);
    });

    private static readonly Lazy<OnnxBertCheckpoint> _checkpoint = new(() => OnnxBertConverter.Convert(_onnx.Value, "embedded MiniLM"));

    /// <summary>The parsed ONNX model. Shared: clone it before changing anything.</summary>
    public static ModelProto Onnx => _onnx.Value;

    public static OnnxBertCheckpoint Checkpoint => _checkpoint.Value;

    public static TensorProto Initializer(string name) => Onnx.Graph.Initializer.Single(t => t.Name == name);

    public static float[] InitializerValues(string name) =>
        new OnnxGraphIndex(Onnx.Graph, "embedded MiniLM").ReadFloats(Initializer(name));

}
