using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Methods;

/// <summary>
/// How a pretrained encoder is fine-tuned: which parameters train and which modules are added. Every method works with
/// every task estimator and saves/reloads through the same .zip path. LoRA is the default.
/// </summary>
/// <example><code>options.Method = FineTuningMethod.Lora(new LoraOptions { Rank = 16 });   // or Full, HeadOnly, LastLayers(2), ...</code></example>
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

    /// <summary>Short name for logs and tables ("LoRA r=8", "Full", "LastLayers(2)", ...).</summary>
    public abstract string Name { get; }

    /// <summary>A learning rate that works for this method when the options do not set one.</summary>
    public abstract double DefaultLearningRate { get; }

    /// <summary>Adds the method's modules to <paramref name="model"/> and sets which parameters train.</summary>
    internal abstract void Apply(TaskModel model);

    /// <summary>Turns a trained model into its fastest inference form (LoRA merges); called after training and after loading.</summary>
    internal virtual void PrepareForInference(TaskModel model) { }

    /// <summary>Undoes <see cref="PrepareForInference"/> (e.g. before training further).</summary>
    internal virtual void PrepareForTraining(TaskModel model) { }

    /// <summary>The method and its settings, for the model .zip.</summary>
    internal abstract JsonObject ToJson();

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    internal static FineTuningMethod FromJson(JsonObject json, string source)
    {
        string kind = json["kind"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: fine-tuning method has no 'kind'.");
        return kind switch
        {
            LoraMethod.KindName => LoraMethod.FromJson(json),
            _ when FreezingMethod.TryFromJson(kind, json) is { } m => m,
            _ when AdapterMethod.TryFromJson(kind, json) is { } a => a,
            _ when PrefixTuningMethod.TryFromJson(kind, json) is { } p => p,
            _ => throw new InvalidDataException($"{source}: unknown fine-tuning method '{kind}'."),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
