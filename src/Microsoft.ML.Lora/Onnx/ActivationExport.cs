namespace Microsoft.ML.Lora.Onnx;

/// <summary>The feed-forward nonlinearities, written as the subgraphs ONNX Runtime fuses (Gelu, FastGelu).</summary>
internal static class ActivationExport
{
    /// <summary>The activation a Hugging Face config names (<c>hidden_act</c> / DistilBERT's <c>activation</c>).</summary>
    public static string Emit(OnnxGraphBuilder g, string hiddenAct, string x) => hiddenAct switch
    {
        "gelu" => GeluErf(g, x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => GeluTanh(g, x),
        "relu" => g.Relu(x),
        _ => throw new NotSupportedException($"ONNX export: activation '{hiddenAct}' is not supported (expected gelu, gelu_new, gelu_pytorch_tanh, gelu_fast or relu)."),
    };

    /// <summary>Exact GELU: x · ½ · (1 + erf(x / √2)).</summary>
    public static string GeluErf(OnnxGraphBuilder g, string x)
    {
        var erf = g.Erf(g.Div(x, g.Scalar(MathF.Sqrt(2f))));
        return g.Mul(g.Mul(x, g.Add(erf, g.Scalar(1f))), g.Scalar(0.5f));
    }

    /// <summary>Tanh-approximated GELU: ½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).</summary>
    public static string GeluTanh(OnnxGraphBuilder g, string x)
    {
        var cube = g.Mul(g.Mul(x, x), x);
        var inner = g.Mul(g.Add(x, g.Mul(cube, g.Scalar(0.044715f))), g.Scalar(MathF.Sqrt(2f / MathF.PI)));
        return g.Mul(g.Mul(x, g.Scalar(0.5f)), g.Add(g.Tanh(inner), g.Scalar(1f)));
    }
}
