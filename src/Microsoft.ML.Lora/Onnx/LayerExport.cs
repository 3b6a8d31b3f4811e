using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// One post-LayerNorm transformer layer, the same shape for BERT/RoBERTa (<c>BertLayer</c>) and DistilBERT
/// (<c>TransformerBlock</c>), only the module names differ: a = LN(attention_output(attend(q(queries), k(x), v(x))) + queries),
/// then LN(ffn_out(act(ffn_in(a))) + a). Queries are every token, or for a sentence head's last layer the first token only.
/// </summary>
internal static class LayerExport
{
    /// <summary><paramref name="x"/> [batch, T, hidden] → [batch, Tq, hidden], Tq the length of <paramref name="queries"/>.</summary>
    public static string Emit(EncoderGraph e, int index, string x, string queries)
    {
        var (g, w, c) = (e.Graph, e.Weights, e.Weights.Config);
        var n = c.Names;
        string p = $"{n.Root}.{n.LayerList}.{index}";
        var (attentionNorm, outputNorm) = c.Architecture == EncoderArchitecture.DistilBert
            ? ("sa_layer_norm", "output_layer_norm")
            : ("attention.output.LayerNorm", "output.LayerNorm");
        long h = c.HiddenSize, inner = c.IntermediateSize;
        string Linear(string role, string input, long inF, long outF) => LinearExport.Emit(g, w, $"{p}.{role}", input, inF, outF);

        string context;
        using (g.Scope($"{p}.attention"))
            context = AttentionExport.Emit(e, index, Linear(n.Query, queries, h, h), Linear(n.Key, x, h, h), Linear(n.Value, x, h, h));
        string a, ff;
        using (g.Scope($"{p}.{attentionNorm}"))
            a = LayerNormExport.Emit(g, w, $"{p}.{attentionNorm}", g.Add(Linear(n.AttentionOutput, context, h, h), queries));
        using (g.Scope($"{p}.{n.FeedForwardIn}"))
            ff = ActivationExport.Emit(g, c.HiddenAct, Linear(n.FeedForwardIn, a, h, inner));
        using (g.Scope($"{p}.{outputNorm}"))
            return LayerNormExport.Emit(g, w, $"{p}.{outputNorm}", g.Add(Linear(n.FeedForwardOut, ff, inner, h), a));
    }
}
