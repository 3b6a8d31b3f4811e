using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>Token classification (NER) as Hugging Face's <c>*ForTokenClassification</c>: dropout → <c>classifier</c> on every token.</summary>
internal sealed class TokenClassificationModel : TaskModel
{
    private readonly nn.Module<Tensor, Tensor> classifier;
    private readonly nn.Module<Tensor, Tensor> dropout;

    /// <summary>Adds a freshly initialised per-token head for <paramref name="numLabels"/> tags to <paramref name="encoder"/>.</summary>
    public TokenClassificationModel(EncoderModel encoder, int numLabels) : base("TokenClassificationModel", encoder, numLabels)
    {
        var c = encoder.Config;
        // DistilBERT's token head uses config.dropout; BERT/RoBERTa use classifier_dropout, else hidden dropout.
        dropout = new FastDropout(c.Architecture == EncoderArchitecture.DistilBert ? c.HiddenDropout : c.ClassifierDropout ?? c.HiddenDropout);
        register_module("dropout", dropout);
        classifier = AddHead("classifier", nn.Linear(c.HiddenSize, numLabels));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<string> HeadModules { get; } = new[] { "classifier" };

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
        => classifier.forward(dropout.forward(Encoder.Encode(inputIds, attentionMask, tokenTypeIds)));
}
