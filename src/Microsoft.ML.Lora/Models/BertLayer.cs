using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// One BERT layer: self-attention, output projection + residual + LayerNorm, GELU feed-forward + residual + LayerNorm.
/// The residual stream (input, LayerNorm outputs) is float32; the projections and attention compute in the context's type.
/// </summary>
internal sealed class BertLayer : NamedModule, IEncoderLayer
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;
    private readonly LayerContext context;

    public BertLayer(EncoderConfig c, int index, LayerContext context) : base("layer")
    {
        this.context = context;
        attention = new BertAttention(c, index, context);
        intermediate = new BertIntermediate(c);
        output = new BertOutput(c);
        RegisterComponents();
    }

    /// <summary>
    /// <paramref name="x"/>: packed tokens [N, H]. With <paramref name="firstTokenOnly"/> only each sequence's first token is
    /// computed past the keys and values (all a sentence classifier reads from the last layer): returns [B, H].
    /// </summary>
    public Tensor forward(Tensor x, TokenLayout layout, bool firstTokenOnly)
    {
        var a = GradientCheckpoint.Block(GradientCheckpointing.Attention, context, h => attention.forward(h, layout, firstTokenOnly), x, attention);
        return output.forward(intermediate.forward(context.ForProduct(a)), a);
    }
}

internal sealed class BertAttention : NamedModule
{
    private readonly BertSelfAttention self;
    private readonly BertSelfOutput output;
    private readonly LayerContext context;

    public BertAttention(EncoderConfig c, int index, LayerContext context) : base("attention")
    {
        this.context = context;
        self = new BertSelfAttention(c, index, context);
        output = new BertSelfOutput(c);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, TokenLayout layout, bool firstTokenOnly)
    {
        var queries = firstTokenOnly ? layout.FirstTokens(x) : x;   // float32: the residual
        var h = context.ForProduct(x);
        return output.forward(self.forward(h, firstTokenOnly ? context.ForProduct(queries) : h, layout, firstTokenOnly), queries);
    }
}

internal sealed class BertSelfAttention : NamedModule
{
    private nn.Module<Tensor, Tensor> query, key, value;
    private readonly int heads, layer;
    private readonly double dropout;
    private readonly LayerContext context;

    public BertSelfAttention(EncoderConfig c, int index, LayerContext context) : base("self")
    {
        query = nn.Linear(c.HiddenSize, c.HiddenSize);
        key = nn.Linear(c.HiddenSize, c.HiddenSize);
        value = nn.Linear(c.HiddenSize, c.HiddenSize);
        (heads, layer, dropout, this.context) = (c.NumHeads, index, c.AttentionDropout, context);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor queries, TokenLayout layout, bool firstTokenOnly) => MultiHeadAttention.Attend(
        MixedPrecision.Forward(query, queries), MixedPrecision.Forward(key, x), MixedPrecision.Forward(value, x), layout, heads, layer, context,
        training ? dropout : 0, firstTokenOnly);
}

internal sealed class BertSelfOutput : NamedModule
{
    private nn.Module<Tensor, Tensor> dense;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    public BertSelfOutput(EncoderConfig c) : base("output")
    {
        dense = nn.Linear(c.HiddenSize, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        dropout = new FastDropout(c.HiddenDropout);
        RegisterComponents();
    }

    public Tensor forward(Tensor h, Tensor residual) => LayerNorm.forward(dropout.forward(MixedPrecision.Forward(dense, h)) + residual);
}

internal sealed class BertIntermediate : NamedModule
{
    private nn.Module<Tensor, Tensor> dense;
    private readonly Func<Tensor, Tensor> act;

    public BertIntermediate(EncoderConfig c) : base("intermediate")
    {
        dense = nn.Linear(c.HiddenSize, c.IntermediateSize);
        act = Activations.Get(c.HiddenAct);
        RegisterComponents();
    }

    public Tensor forward(Tensor x) => act(MixedPrecision.Forward(dense, x));
}

internal sealed class BertOutput : NamedModule
{
    private nn.Module<Tensor, Tensor> dense;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    public BertOutput(EncoderConfig c) : base("output")
    {
        dense = nn.Linear(c.IntermediateSize, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        dropout = new FastDropout(c.HiddenDropout);
        RegisterComponents();
    }

    public Tensor forward(Tensor h, Tensor residual) => LayerNorm.forward(dropout.forward(MixedPrecision.Forward(dense, h)) + residual);
}
