using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>DistilBERT (<c>DistilBertModel</c>): word + position embeddings, <c>transformer.layer.N</c> blocks, no token types.</summary>
internal sealed class DistilBertModel : EncoderModel
{
    private readonly DistilBertEmbeddings embeddings;
    private readonly DistilBertTransformer transformer;

    public DistilBertModel(EncoderConfig c) : base("distilbert", c)
    {
        embeddings = new DistilBertEmbeddings(c);
        transformer = new DistilBertTransformer(c, LayerContext);
        RegisterComponents();
    }

    public override IReadOnlyList<nn.Module> Layers => transformer.Layers;

    private protected override Tensor EncodeCore(Tensor inputIds, TokenLayout layout, Tensor? tokenTypeIds, bool firstTokenOnly)
        => transformer.forward(layout.Pack(embeddings.forward(inputIds)), layout, firstTokenOnly);
}

internal sealed class DistilBertEmbeddings : NamedModule
{
    private readonly EmbeddingTable word_embeddings, position_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    public DistilBertEmbeddings(EncoderConfig c) : base("embeddings")
    {
        word_embeddings = new EmbeddingTable(c.VocabSize, c.HiddenSize, paddingIndex: c.PadTokenId);
        position_embeddings = new EmbeddingTable(c.MaxPositionEmbeddings, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        dropout = new FastDropout(c.HiddenDropout);
        RegisterComponents();
    }

    public Tensor forward(Tensor inputIds)
    {
        var positions = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        return dropout.forward(LayerNorm.forward(Lookup.Float32(word_embeddings, inputIds).add_(Lookup.Float32(position_embeddings, positions))));
    }
}

internal sealed class DistilBertTransformer : NamedModule
{
    private readonly ModuleList<DistilBertBlock> layer;
    private readonly LayerContext context;

    public DistilBertTransformer(EncoderConfig c, LayerContext context) : base("transformer")
    {
        this.context = context;
        layer = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(i => new DistilBertBlock(c, i, context)).ToArray());
        RegisterComponents();
    }

    public IReadOnlyList<nn.Module> Layers => layer.ToList<nn.Module>();

    public Tensor forward(Tensor x, TokenLayout layout, bool firstTokenOnly) => EncoderLayerStack.Run(layer, x, layout, firstTokenOnly, context);
}

/// <summary>DistilBERT's TransformerBlock: attention, <c>sa_layer_norm</c>, FFN, <c>output_layer_norm</c> (post-LN like BERT).</summary>
internal sealed class DistilBertBlock : NamedModule, IEncoderLayer
{
    private readonly DistilBertAttention attention;
    private readonly LayerNorm sa_layer_norm, output_layer_norm;
    private readonly DistilBertFfn ffn;
    private readonly LayerContext context;

    public DistilBertBlock(EncoderConfig c, int index, LayerContext context) : base("layer")
    {
        this.context = context;
        attention = new DistilBertAttention(c, index, context);
        sa_layer_norm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        ffn = new DistilBertFfn(c);
        output_layer_norm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>As <see cref="BertLayer.forward"/>: with <paramref name="firstTokenOnly"/>, [N, H] in, [B, H] out.</summary>
    public Tensor forward(Tensor x, TokenLayout layout, bool firstTokenOnly)
    {
        var a = GradientCheckpoint.Block(GradientCheckpointing.Attention, context, h => Attend(h, layout, firstTokenOnly), x, attention, sa_layer_norm);
        return output_layer_norm.forward(ffn.forward(context.ForProduct(a)) + a);
    }

    /// <summary>Attention, its residual and <c>sa_layer_norm</c>: the block that attention checkpointing recomputes.</summary>
    private Tensor Attend(Tensor x, TokenLayout layout, bool firstTokenOnly)
    {
        var queries = firstTokenOnly ? layout.FirstTokens(x) : x;   // float32: the residual
        var h = context.ForProduct(x);
        return sa_layer_norm.forward(attention.forward(h, firstTokenOnly ? context.ForProduct(queries) : h, layout, firstTokenOnly) + queries);
    }
}

internal sealed class DistilBertAttention : NamedModule
{
    private nn.Module<Tensor, Tensor> q_lin, k_lin, v_lin, out_lin;
    private readonly int heads, layer;
    private readonly double dropout;
    private readonly LayerContext context;

    public DistilBertAttention(EncoderConfig c, int index, LayerContext context) : base("attention")
    {
        q_lin = nn.Linear(c.HiddenSize, c.HiddenSize);
        k_lin = nn.Linear(c.HiddenSize, c.HiddenSize);
        v_lin = nn.Linear(c.HiddenSize, c.HiddenSize);
        out_lin = nn.Linear(c.HiddenSize, c.HiddenSize);
        (heads, layer, dropout, this.context) = (c.NumHeads, index, c.AttentionDropout, context);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor queries, TokenLayout layout, bool firstTokenOnly) => MixedPrecision.Forward(out_lin, MultiHeadAttention.Attend(
        MixedPrecision.Forward(q_lin, queries), MixedPrecision.Forward(k_lin, x), MixedPrecision.Forward(v_lin, x), layout, heads, layer, context,
        training ? dropout : 0, firstTokenOnly));
}

internal sealed class DistilBertFfn : NamedModule
{
    private nn.Module<Tensor, Tensor> lin1, lin2;
    private readonly FastDropout dropout;
    private readonly Func<Tensor, Tensor> act;

    public DistilBertFfn(EncoderConfig c) : base("ffn")
    {
        lin1 = nn.Linear(c.HiddenSize, c.IntermediateSize);
        lin2 = nn.Linear(c.IntermediateSize, c.HiddenSize);
        dropout = new FastDropout(c.HiddenDropout);
        act = Activations.Get(c.HiddenAct);
        RegisterComponents();
    }

    public Tensor forward(Tensor x) => dropout.forward(MixedPrecision.Forward(lin2, act(MixedPrecision.Forward(lin1, x))));
}
