using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Methods;

/// <summary>
/// Prefix tuning (Li &amp; Liang 2021; PEFT's <c>PREFIX_TUNING</c>): trainable keys and values of <see cref="Length"/> virtual
/// positions in front of every layer's attention, which every real token may attend to (the attention mask is extended by
/// ones). The encoder stays frozen; the prefix (and its reparameterisation MLP, if any) and the head train. The prefix is a
/// child of the task model named <see cref="ModuleName"/>, so it is saved and loaded with the weights.
/// </summary>
/// <remarks>
/// Unlike Hugging Face's BERT given <c>past_key_values</c>, the real tokens keep their positions 0, 1, ...: the prefix is
/// keys and values only, not tokens, so it neither shifts the pretrained position embeddings nor shortens the usable input.
/// </remarks>
internal sealed class PrefixTuningMethod : FineTuningMethod
{
    public const string KindName = "prefix";
    public const string ModuleName = "prefix_encoder";

    public PrefixTuningMethod(int length, bool reparameterize, int hiddenSize)
    {
        if (length < 1 || length > MaxSize)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"The prefix needs between 1 and {MaxSize} positions.");
        if (reparameterize && (hiddenSize < 1 || hiddenSize > MaxSize))
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"The reparameterisation MLP needs between 1 and {MaxSize} hidden units.");
        Length = length;
        Reparameterize = reparameterize;
        HiddenSize = hiddenSize;
    }

    /// <summary>Bounds every size a saved model may declare before anything is allocated; <see cref="Apply"/> also keeps the length within the position table.</summary>
    public const int MaxSize = 65536;

    public int Length { get; }
    public bool Reparameterize { get; }
    public int HiddenSize { get; }

    public override string Name => Reparameterize
        ? FormattableString.Invariant($"Prefix(length={Length}, MLP {HiddenSize})")
        : FormattableString.Invariant($"Prefix(length={Length})");

    // Prefix tuning needs far larger steps than weight-space methods (P-tuning v2 used 5e-3 to 1e-2 on BERT/RoBERTa, PEFT's
    // examples 1e-2); the lower end keeps the jointly trained head, which shares this rate, stable.
    public override double DefaultLearningRate => 5e-3;

    internal override IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? MergedTensors(TaskModel model) => null;

    internal override void Apply(TaskModel model)
    {
        if (model.Encoder.Prefix is not null)
            throw new InvalidOperationException("The encoder already has an attention prefix: prefix tuning can be applied once.");
        if (Reparameterize && HiddenSize > Math.Max(4096, 16 * model.Encoder.Config.HiddenSize))
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize,
                $"A prefix MLP of {HiddenSize} hidden units is beyond max(4096, 16 × the encoder's hidden size {model.Encoder.Config.HiddenSize}).");
        if (Length > model.Encoder.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(Length), Length, $"A prefix of {Length} positions is longer than the encoder's {model.Encoder.Config.MaxPositionEmbeddings}-position table.");
        var device = model.parameters().First().device;
        var prefix = new PrefixEncoder(model.Encoder.Config, Length, Reparameterize, HiddenSize, device);
        prefix.train(model.training);
        model.AddMethodModule(ModuleName, prefix);
        model.Encoder.Prefix = prefix;
        LoraInjector.Freeze(model, model.HeadModules.Append(ModuleName).ToList(), trainLora: false);
    }

    internal override void PrepareForInference(TaskModel model) => Prefix(model).CacheForInference();

    internal override void PrepareForTraining(TaskModel model) => Prefix(model).ClearCache();

    private static PrefixEncoder Prefix(TaskModel model) => model.Encoder.Prefix as PrefixEncoder
        ?? throw new InvalidOperationException("The model has no prefix encoder: apply prefix tuning first.");

    internal override JsonObject ToJson() => new()
    {
        ["kind"] = KindName,
        ["length"] = Length,
        ["reparameterize"] = Reparameterize,
        ["hidden_size"] = HiddenSize,
    };

    public static FineTuningMethod? TryFromJson(string kind, JsonObject json)
    {
        if (kind != KindName) return null;
        int length = json["length"]?.GetValue<int>() ?? throw new InvalidDataException("prefix method: 'length' is missing.");
        return new PrefixTuningMethod(length, json["reparameterize"]?.GetValue<bool>() ?? true, json["hidden_size"]?.GetValue<int>() ?? 512);
    }
}
