namespace Microsoft.ML.Lora.Onnx;

/// <summary>A <c>LayerNorm</c> module (<c>weight</c>, <c>bias</c>, the config's epsilon) as one LayerNormalization node.</summary>
internal static class LayerNormExport
{
    public static string Emit(OnnxGraphBuilder g, ModelWeights w, string name, string x)
    {
        long h = w.Config.HiddenSize;
        var scale = g.Initializer($"{name}.weight", w.Values($"{name}.weight", h), new[] { h });
        var bias = g.Initializer($"{name}.bias", w.Values($"{name}.bias", h), new[] { h });
        return g.LayerNormalization(x, scale, bias, w.Config.LayerNormEps);
    }
}
