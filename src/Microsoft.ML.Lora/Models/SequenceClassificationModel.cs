using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Sentence (or sentence-pair) classification with each architecture's own Hugging Face head:
/// BERT: pooler → dropout → <c>classifier</c>; RoBERTa: <c>classifier.dense</c> → tanh → <c>classifier.out_proj</c> on
/// &lt;s&gt;; DistilBERT: <c>pre_classifier</c> → ReLU → dropout → <c>classifier</c> on [CLS]. With
/// <see cref="TokenPooling.Mean"/> the same head reads the mean of the tokens instead of the first token, and BERT's skips
/// the pooler (dropout → <c>classifier</c>), as a head on a sentence-transformers embedding.
/// </summary>
internal sealed class SequenceClassificationModel : TaskModel
{
    private readonly Func<Tensor, Tensor> head;   // first token's hidden state (or the tokens' mean) [B, H] → logits
    private readonly List<string> headModules = new();

    /// <summary>Adds a freshly initialised head for <paramref name="numLabels"/> classes to <paramref name="encoder"/>.</summary>
    /// <param name="encoder">The encoder (BERT needs its pooler).</param>
    /// <param name="numLabels">Number of classes.</param>
    /// <param name="poolerIsHead">Treat BERT's pooler as part of the head (trained and saved with it): for checkpoints that lack pooler weights.</param>
    /// <param name="pooling">What the head reads: the first token (Hugging Face's heads) or the mean of the tokens.</param>
    public SequenceClassificationModel(EncoderModel encoder, int numLabels, bool poolerIsHead = false, TokenPooling pooling = TokenPooling.FirstToken)
        : base("SequenceClassificationModel", encoder, numLabels)
    {
        Pooling = pooling;
        if (pooling == TokenPooling.Mean && (poolerIsHead || encoder.HasPooler))
            throw new ArgumentException("A mean-pooled head reads no pooler: build the encoder without one.", nameof(encoder));
        if (poolerIsHead && encoder.HasPooler) headModules.Add(encoder.Config.Names.Root + ".pooler");
        var c = encoder.Config;
        var dropout = new FastDropout(c.ClassifierDropout ?? c.HiddenDropout);
        register_module("dropout", dropout);
        switch (c.Architecture)
        {
            case EncoderArchitecture.Bert when pooling == TokenPooling.Mean:
                var meanClassifier = Head("classifier", nn.Linear(c.HiddenSize, numLabels));
                head = mean => meanClassifier.forward(dropout.forward(mean));
                break;
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

    /// <summary>What the head reads of the last hidden state.</summary>
    public TokenPooling Pooling { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
        => head(Pooling == TokenPooling.Mean ? Encoder.EncodeMean(inputIds, attentionMask, tokenTypeIds) : Encoder.EncodeFirstToken(inputIds, attentionMask, tokenTypeIds));

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
