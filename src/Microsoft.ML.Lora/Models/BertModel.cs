using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>BERT and RoBERTa (<c>BertModel</c> / <c>RobertaModel</c> in Hugging Face): embeddings, encoder, optional pooler.</summary>
internal sealed class BertModel : EncoderModel
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    public BertModel(EncoderConfig c, bool addPoolingLayer) : base(c.Architecture == EncoderArchitecture.Roberta ? "roberta" : "bert", c)
    {
        embeddings = new BertEmbeddings(c);
        encoder = new BertEncoder(c, LayerContext);
        if (addPoolingLayer) pooler = new BertPooler(c);
        RegisterComponents();
    }

    public override IReadOnlyList<nn.Module> Layers => encoder.Layers;
    public override bool HasPooler => pooler is not null;

    private protected override Tensor EncodeCore(Tensor inputIds, TokenLayout layout, Tensor? tokenTypeIds, bool firstTokenOnly)
        => encoder.forward(layout.Pack(embeddings.forward(inputIds, tokenTypeIds)), layout, firstTokenOnly);

    internal override Tensor PoolFirstToken(Tensor firstToken) => pooler is null ? base.PoolFirstToken(firstToken) : pooler.forward(firstToken);
}

internal sealed class BertEncoder : NamedModule
{
    private readonly ModuleList<BertLayer> layer;
    private readonly LayerContext context;

    public BertEncoder(EncoderConfig c, LayerContext context) : base("encoder")
    {
        this.context = context;
        layer = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(i => new BertLayer(c, i, context)).ToArray());
        RegisterComponents();
    }

    public IReadOnlyList<nn.Module> Layers => layer.ToList<nn.Module>();

    public Tensor forward(Tensor x, TokenLayout layout, bool firstTokenOnly) => EncoderLayerStack.Run(layer, x, layout, firstTokenOnly, context);
}

/// <summary>BERT's pooler: tanh(dense(first token)). Only sequence classification of BERT checkpoints uses it.</summary>
internal sealed class BertPooler : NamedModule
{
    private nn.Module<Tensor, Tensor> dense;

    public BertPooler(EncoderConfig c) : base("pooler")
    {
        dense = nn.Linear(c.HiddenSize, c.HiddenSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor firstToken) => tanh(MixedPrecision.Forward(dense, firstToken));
}
