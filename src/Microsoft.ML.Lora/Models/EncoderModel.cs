using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// A BERT-family encoder: token ids → last hidden state. Module and parameter names are the Hugging Face ones
/// (relative to <c>bert.</c> / <c>roberta.</c> / <c>distilbert.</c>), so checkpoints and PEFT adapters map one to one.
/// </summary>
internal abstract class EncoderModel : NamedModule
{
    private protected readonly LayerContext LayerContext = new();

    /// <summary>Creates the encoder shell for <paramref name="config"/>.</summary>
    private protected EncoderModel(string name, EncoderConfig config) : base(name) => Config = config;

    /// <summary>The configuration the encoder was built from.</summary>
    public EncoderConfig Config { get; }

    /// <summary>Key/value prefix added to every layer's attention (prefix tuning), or null.</summary>
    public IAttentionPrefix? Prefix { get => LayerContext.Prefix; set => LayerContext.Prefix = value; }

    /// <summary>The number format the layers compute in (see <see cref="global::Microsoft.ML.Lora.Precision"/>). Set by <see cref="UsePrecision"/>.</summary>
    public Precision Precision { get; private set; } = Precision.Float32;

    /// <summary>
    /// What training recomputes in the backward pass instead of keeping (see <see cref="global::Microsoft.ML.Lora.GradientCheckpointing"/>).
    /// Same loss and gradients. No effect on scoring.
    /// </summary>
    public GradientCheckpointing GradientCheckpointing { get => LayerContext.GradientCheckpointing; set => LayerContext.GradientCheckpointing = value; }

    /// <summary>
    /// Computes in <paramref name="precision"/> from now on. For <see cref="Precision.BFloat16"/> the frozen weights of the
    /// embeddings and layers are stored in bfloat16 (call it after choosing what trains); trainable weights stay float32.
    /// Back to <see cref="Precision.Float32"/> the frozen weights are widened again (exactly, at the precision they kept).
    /// </summary>
    public void UsePrecision(Precision precision)
    {
        var type = MixedPrecision.ComputeType(precision);
        MixedPrecision.StoreFrozenWeights(this, type);
        LayerContext.ComputeType = type;
        Precision = precision;
    }

    /// <summary>The transformer layers, bottom to top.</summary>
    public abstract IReadOnlyList<nn.Module> Layers { get; }

    /// <summary>True when the encoder has BERT's pooler (<c>pooler.dense</c> + tanh on the first token).</summary>
    public virtual bool HasPooler => false;

    /// <summary>
    /// Runs the encoder. <paramref name="inputIds"/> and <paramref name="attentionMask"/> are int64 [batch, length]
    /// (mask 1 = token, 0 = padding); <paramref name="tokenTypeIds"/> may be null (all zero). Returns [batch, length, hidden],
    /// zeros at padded positions (padding never enters a matmul).
    /// </summary>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        CheckInputs(inputIds, attentionMask, tokenTypeIds);
        var layout = new TokenLayout(attentionMask);
        return layout.Unpack(EncodeCore(inputIds, layout, tokenTypeIds, firstTokenOnly: false));
    }

    /// <summary>
    /// The last hidden state of each sequence's first token ([CLS] / &lt;s&gt;), [batch, hidden]: equal to
    /// <c>Encode(...)[.., 0]</c>, but the last layer computes its queries, output projection and feed-forward for that token
    /// alone (its keys and values still see every token). That is all a sentence classifier reads, and it saves about
    /// 5/6 of one layer's work: some 14% of a 6-layer model's forward and backward.
    /// </summary>
    public Tensor EncodeFirstToken(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        CheckInputs(inputIds, attentionMask, tokenTypeIds);
        var layout = new TokenLayout(attentionMask);
        // Left padding would make position 0 a padded one; keep HF's semantics (position 0, whatever it is) via the full path.
        if (!layout.FirstTokensAreReal) return layout.Unpack(EncodeCore(inputIds, layout, tokenTypeIds, firstTokenOnly: false))[.., 0];
        return EncodeCore(inputIds, layout, tokenTypeIds, firstTokenOnly: true);
    }

    /// <summary>
    /// The mean of the last hidden state over each sequence's real tokens, [batch, hidden]: sentence-transformers' mean
    /// pooling (<c>pooling_mode_mean_tokens</c>, its token count clamped at 1e-9). Summed in float32 whatever the encoder's
    /// precision, returned in the encoder's.
    /// </summary>
    public Tensor EncodeMean(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        // Encode returns zeros at padded positions, so the sum runs over the real tokens only.
        var hidden = Encode(inputIds, attentionMask, tokenTypeIds);
        var tokens = attentionMask.sum(1, keepdim: true).to(ScalarType.Float32).clamp_min(1e-9);
        return (hidden.to(ScalarType.Float32).sum(1) / tokens).to(hidden.dtype);
    }

    /// <summary>BERT's pooled output from the first token's hidden state [batch, hidden].</summary>
    internal virtual Tensor PoolFirstToken(Tensor firstToken) => throw new InvalidOperationException($"{Config.ModelType} encoder has no pooler.");

    /// <summary>
    /// Embeds and runs the layers on the real tokens only; returns them packed [N, hidden], or with
    /// <paramref name="firstTokenOnly"/> the first token of each sequence [batch, hidden].
    /// </summary>
    private protected abstract Tensor EncodeCore(Tensor inputIds, TokenLayout layout, Tensor? tokenTypeIds, bool firstTokenOnly);

    private void CheckInputs(Tensor ids, Tensor mask, Tensor? types)
    {
        // Native shape errors can abort the process: check in C# first.
        if (ids.dim() != 2) throw new ArgumentException($"input ids must be [batch, length], got [{string.Join(", ", ids.shape)}].", nameof(ids));
        if (!ids.shape.SequenceEqual(mask.shape))
            throw new ArgumentException($"attention mask shape [{string.Join(", ", mask.shape)}] differs from input ids [{string.Join(", ", ids.shape)}].", nameof(mask));
        if (types is not null && !ids.shape.SequenceEqual(types.shape))
            throw new ArgumentException($"token type ids shape [{string.Join(", ", types.shape)}] differs from input ids [{string.Join(", ", ids.shape)}].", nameof(types));
        if (ids.shape[1] > Config.MaxSequenceLength)
            throw new ArgumentException($"sequence length {ids.shape[1]} exceeds the model's maximum {Config.MaxSequenceLength}.", nameof(ids));
        if (ids.shape[1] == 0) throw new ArgumentException("sequence length is 0.", nameof(ids));
    }

    /// <summary>Builds an encoder with freshly initialised weights (BERT's init: normal(0, 0.02), LayerNorm 1/0, biases 0).</summary>
    public static EncoderModel Create(EncoderConfig config, bool addPoolingLayer = false)
    {
        config.Validate();
        EncoderModel model = config.Architecture == EncoderArchitecture.DistilBert
            ? new DistilBertModel(config)
            : new BertModel(config, addPoolingLayer);
        WeightInit.BertInit(model);
        return model;
    }
}
