using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora;

/// <summary>
/// How a pretrained encoder is fine-tuned: which parameters train and which modules are added. Every method works with
/// every task estimator and saves/reloads through the same .zip path. LoRA is the default.
/// </summary>
/// <example><code>options.Method = FineTuningMethod.Lora(new LoraOptions { Rank = 16 });   // or Full, HeadOnly, LastLayers(2), Adapters(), PrefixTuning()</code></example>
public abstract class FineTuningMethod
{
    private protected FineTuningMethod() { }

    /// <summary>LoRA adapters on the encoder (default targets: query and value), merged into the weights for inference.</summary>
    public static FineTuningMethod Lora(LoraOptions? options = null) => new LoraMethod(options ?? new LoraOptions());

    /// <summary>Every parameter trains.</summary>
    public static FineTuningMethod Full { get; } = new FreezingMethod(FreezingMethod.Kind.Full, 0);

    /// <summary>Only the task head trains; the encoder is a frozen feature extractor.</summary>
    public static FineTuningMethod HeadOnly { get; } = new FreezingMethod(FreezingMethod.Kind.HeadOnly, 0);

    /// <summary>The top <paramref name="count"/> transformer layers and the head train; everything below is frozen.</summary>
    public static FineTuningMethod LastLayers(int count) => new FreezingMethod(FreezingMethod.Kind.LastLayers, count);

    /// <summary>
    /// Houlsby bottleneck adapters: in every layer, after the attention output projection and after the feed-forward output
    /// projection, z + up(act(down(z))) ahead of the block's residual and LayerNorm. up starts at zero, so training starts
    /// exactly at the base model. The adapters and the head train, and the encoder's LayerNorms when
    /// <paramref name="trainLayerNorms"/> (Houlsby et al. 2019 train them; the adapters library's "houlsby" config does not).
    /// Adapters cannot be merged into the weights: they add two small matmuls per block at inference.
    /// Trainable: layers · 2 · (2·m·H + m + H), plus 4·H per layer and 2·H for the embeddings' LayerNorm when they train.
    /// </summary>
    /// <param name="bottleneckSize">Bottleneck width m. Default 64 (Houlsby et al.'s adapter-bert).</param>
    /// <param name="activation">Nonlinearity between the projections. Default GELU.</param>
    /// <param name="trainLayerNorms">Also train every LayerNorm of the encoder. Default true, as in the paper.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bottleneckSize"/> is below 1.</exception>
    public static FineTuningMethod Adapters(int bottleneckSize = 64, AdapterActivation activation = AdapterActivation.Gelu, bool trainLayerNorms = true)
        => new AdapterMethod(bottleneckSize, activation, trainLayerNorms);

    /// <summary>
    /// Prefix tuning (Li &amp; Liang 2021): <paramref name="length"/> trainable key/value positions in front of every layer's
    /// attention; the encoder is frozen, the prefix and the head train. Reparameterised (PEFT's <c>prefix_projection</c>),
    /// the prefixes come from an embedding [length, H] through Linear(H, hidden) → tanh → Linear(hidden, layers·2·H),
    /// computed once for inference. Unlike LoRA and adapters, a fresh prefix already changes the model's output.
    /// Trainable: length·H + H·hidden + hidden + (hidden + 1)·layers·2·H reparameterised, else length·layers·2·H.
    /// </summary>
    /// <param name="length">Virtual positions per layer. Default 20.</param>
    /// <param name="reparameterize">Produce the prefix through the MLP while training. Default true.</param>
    /// <param name="hiddenSize">Hidden width of the MLP. Default 512.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> or <paramref name="hiddenSize"/> is below 1.</exception>
    public static FineTuningMethod PrefixTuning(int length = 20, bool reparameterize = true, int hiddenSize = 512)
        => new PrefixTuningMethod(length, reparameterize, hiddenSize);

    /// <summary>Short name for logs and tables ("LoRA r=8", "Full", "LastLayers(2)", ...).</summary>
    public abstract string Name { get; }

    /// <summary>A learning rate that works for this method when the options do not set one.</summary>
    public abstract double DefaultLearningRate { get; }

    /// <summary>
    /// True when the trained model can be saved as a PEFT adapter (<c>SaveAdapter</c> on a transformer): LoRA. The other
    /// methods change or add modules PEFT's LoRA format cannot describe.
    /// </summary>
    public virtual bool HasPeftAdapter => false;

    /// <summary>Writes the PEFT adapter of <paramref name="model"/>; only when <see cref="HasPeftAdapter"/>.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="taskType">The task's PEFT task type.</param>
    /// <param name="folder">The destination folder.</param>
    /// <param name="baseModelName">Written as <c>base_model_name_or_path</c>.</param>
    /// <param name="outputNames">The head's output names (<c>id2label</c> in the <c>config.json</c> beside the adapter), or null.</param>
    internal virtual void SavePeftAdapter(TaskModel model, PeftTaskType taskType, string folder, string? baseModelName, IReadOnlyList<string>? outputNames = null)
        => throw new InvalidOperationException($"{Name} has no PEFT adapter.");

    /// <summary>
    /// The weights of <paramref name="model"/> as the plain Hugging Face architecture computes them (LoRA merged in, no
    /// adapter tensors), by <c>state_dict()</c> name; null when the method adds modules the architecture does not have
    /// (bottleneck adapters, prefixes). The tensors are new or the model's own; the caller must not change them.
    /// </summary>
    internal virtual IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? MergedTensors(TaskModel model) => model.state_dict();

    /// <summary>Adds the method's modules to <paramref name="model"/> and sets which parameters train.</summary>
    internal abstract void Apply(TaskModel model);

    /// <summary>Turns a trained model into its fastest inference form (LoRA merges); called after training and after loading.</summary>
    internal virtual void PrepareForInference(TaskModel model) { }

    /// <summary>
    /// As <see cref="PrepareForInference(TaskModel)"/>; on a base whose frozen weights are shared with other models
    /// (<paramref name="baseIsShared"/>) a method may keep a cheaper-in-memory form (LoRA stays unmerged: merging would copy
    /// every adapted matrix).
    /// </summary>
    internal virtual void PrepareForInference(TaskModel model, bool baseIsShared) => PrepareForInference(model);

    /// <summary>Undoes <see cref="PrepareForInference(TaskModel)"/> (e.g. before training further).</summary>
    internal virtual void PrepareForTraining(TaskModel model) { }

    /// <summary>The method and its settings, for the model .zip.</summary>
    internal abstract JsonObject ToJson();

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    internal static FineTuningMethod FromJson(JsonObject json, string source)
    {
        string kind = json["kind"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: fine-tuning method has no 'kind'.");
        try
        {
            return kind switch
            {
                LoraMethod.KindName => LoraMethod.FromJson(json),
                _ when FreezingMethod.TryFromJson(kind, json) is { } m => m,
                _ when AdapterMethod.TryFromJson(kind, json) is { } a => a,
                _ when PrefixTuningMethod.TryFromJson(kind, json) is { } p => p,
                _ => throw new InvalidDataException($"unknown fine-tuning method '{kind}'."),
            };
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or InvalidOperationException or FormatException)
        {
            // Settings of the wrong type, out of range or missing: name the file they came from.
            throw new InvalidDataException($"{source}: fine-tuning method '{kind}': {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
