using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Sentence (or sentence-pair) classification with each architecture's own Hugging Face head:
/// BERT: pooler → dropout → <c>classifier</c>; RoBERTa: <c>classifier.dense</c> → tanh → <c>classifier.out_proj</c> on
/// &lt;s&gt;; DistilBERT: <c>pre_classifier</c> → ReLU → dropout → <c>classifier</c> on [CLS].
/// </summary>
internal sealed class SequenceClassificationModel : TaskModel
{
    private readonly Func<Tensor, Tensor> head;   // first token's hidden state [B, H] → logits
    private readonly List<string> headModules = new();

    /// <summary>Adds a freshly initialised head for <paramref name="numLabels"/> classes to <paramref name="encoder"/>.</summary>
    /// <param name="encoder">The encoder (BERT needs its pooler).</param>
    /// <param name="numLabels">Number of classes.</param>
    /// <param name="poolerIsHead">Treat BERT's pooler as part of the head (trained and saved with it): for checkpoints that lack pooler weights.</param>
    public SequenceClassificationModel(EncoderModel encoder, int numLabels, bool poolerIsHead = false) : base("SequenceClassificationModel", encoder, numLabels)
    {
        if (poolerIsHead && encoder.HasPooler) headModules.Add(encoder.Config.Names.Root + ".pooler");
        var c = encoder.Config;
        var dropout = new FastDropout(c.ClassifierDropout ?? c.HiddenDropout);
        register_module("dropout", dropout);
        switch (c.Architecture)
        {
            case EncoderArchitecture.Bert:
                if (!encoder.HasPooler) throw new ArgumentException("BERT sequence classification needs an encoder built with its pooler.", nameof(encoder));
                var classifier = Head("classifier", nn.Linear(c.HiddenSize, numLabels));
                head = first => classifier.forward(dropout.forward(encoder.PoolFirstToken(first)));
                break;
            case EncoderArchitecture.Roberta:
                var rc = Head("classifier", new RobertaClassificationHead(c, numLabels));
                head = rc.forward;
                break;
            case EncoderArchitecture.DistilBert:
                var pre = Head("pre_classifier", nn.Linear(c.HiddenSize, c.HiddenSize));
                var cls = Head("classifier", nn.Linear(c.HiddenSize, numLabels));
                head = first => cls.forward(dropout.forward(nn.functional.relu(pre.forward(first))));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(encoder), c.Architecture, "Unknown architecture.");
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> HeadModules => headModules;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
        => head(Encoder.EncodeFirstToken(inputIds, attentionMask, tokenTypeIds));

    private T Head<T>(string name, T module) where T : nn.Module
    {
        headModules.Add(name);
        return AddHead(name, module);
    }
}

/// <summary>RoBERTa's <c>RobertaClassificationHead</c>.</summary>
internal sealed class RobertaClassificationHead : NamedModule
{
    private nn.Module<Tensor, Tensor> dense, out_proj;
    private readonly FastDropout dropout;

    public RobertaClassificationHead(EncoderConfig c, int numLabels) : base("classifier")
    {
        dense = nn.Linear(c.HiddenSize, c.HiddenSize);
        out_proj = nn.Linear(c.HiddenSize, numLabels);
        dropout = new FastDropout(c.ClassifierDropout ?? c.HiddenDropout);
        RegisterComponents();
    }

    public Tensor forward(Tensor first) => out_proj.forward(dropout.forward(tanh(dense.forward(dropout.forward(first)))));
}
