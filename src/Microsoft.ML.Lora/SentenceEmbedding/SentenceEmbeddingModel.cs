using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>
/// A sentence-transformers bi-encoder as a task model: the encoder, then the mean of the last hidden state over the real
/// tokens (sentence-transformers' <c>Pooling</c> with <c>pooling_mode_mean_tokens</c>), then L2 normalisation (its
/// <c>Normalize</c> module), as all-MiniLM-L6-v2 is published. No head modules: the output is the embedding itself, so
/// <see cref="TaskModel.NumLabels"/> is the hidden size, and a PEFT adapter of it holds LoRA tensors only.
/// </summary>
internal sealed class SentenceEmbeddingModel : TaskModel
{
    public SentenceEmbeddingModel(EncoderModel encoder) : base("SentenceEmbeddingModel", encoder, encoder.Config.HiddenSize) { }

    /// <inheritdoc/>
    public override IReadOnlyList<string> HeadModules { get; } = Array.Empty<string>();

    /// <summary>Unit-length sentence embeddings [batch, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        // Normalised in float32 whatever the encoder's precision, as sentence-transformers' F.normalize(eps=1e-12).
        var mean = Encoder.EncodeMean(inputIds, attentionMask, tokenTypeIds).to(ScalarType.Float32);
        return mean / mean.pow(2).sum(1, keepdim: true).sqrt().clamp_min(1e-12);
    }
}
