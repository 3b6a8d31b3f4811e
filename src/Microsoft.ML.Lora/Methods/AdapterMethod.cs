using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using TorchSharp.Modules;

namespace Microsoft.ML.Lora.Methods;

/// <summary>
/// Houlsby bottleneck adapters: in every layer, after the attention output projection and after the feed-forward output
/// projection, z + up(act(down(z))) before the block's residual + LayerNorm. The adapters, the head and (by default, as in
/// Houlsby et al. 2019) the encoder's LayerNorms train. Adapters cannot be merged: they add two small matmuls per block at
/// inference.
/// </summary>
internal sealed class AdapterMethod : FineTuningMethod
{
    public const string KindName = "adapters";

    public AdapterMethod(int bottleneckSize, AdapterActivation activation, bool trainLayerNorms)
    {
        if (bottleneckSize < 1 || bottleneckSize > MaxSize)
            throw new ArgumentOutOfRangeException(nameof(bottleneckSize), bottleneckSize, $"The adapter bottleneck must have between 1 and {MaxSize} units.");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown adapter activation.");
        BottleneckSize = bottleneckSize;
        Activation = activation;
        TrainLayerNorms = trainLayerNorms;
    }

    /// <summary>Bounds every size a saved model may declare before anything is allocated; <see cref="Apply"/> also keeps it within max(1024, 4 × the hidden size).</summary>
    public const int MaxSize = 65536;

    public int BottleneckSize { get; }
    public AdapterActivation Activation { get; }
    public bool TrainLayerNorms { get; }

    public override string Name => FormattableString.Invariant($"Adapters(m={BottleneckSize})");

    // Houlsby et al. swept {3e-5, 3e-4, 3e-3} and found adapters want rates well above full fine-tuning's; with a
    // zero-initialised up-projection they behave like LoRA's zero B, so they get LoRA's default.
    public override double DefaultLearningRate => 5e-4;

    internal override IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? MergedTensors(TaskModel model) => null;

    internal override void Apply(TaskModel model)
    {
        var c = model.Encoder.Config;
        if (BottleneckSize > Math.Max(1024, 4 * c.HiddenSize))
            throw new ArgumentOutOfRangeException(nameof(BottleneckSize), BottleneckSize,
                $"An adapter bottleneck of {BottleneckSize} units is beyond max(1024, 4 × the encoder's hidden size {c.HiddenSize}).");
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var trainable = model.HeadModules.ToList();
        for (int i = 0; i < c.NumLayers; i++)
        {
            foreach (var role in new[] { c.Names.AttentionOutput, c.Names.FeedForwardOut })
            {
                string name = $"{c.Names.Root}.{c.Names.LayerList}.{i}.{role}";
                if (!modules.TryGetValue(name, out var module) || module is not Linear linear)
                    throw new InvalidOperationException($"Cannot add an adapter at '{name}': the {c.ModelType} model has no Linear there.");
                int dot = name.LastIndexOf('.');
                if (modules[name[..dot]] is not NamedModule parent)
                    throw new InvalidOperationException($"Cannot add an adapter at '{name}': its parent is not a replaceable block.");
                var adapter = new BottleneckAdapter(linear, BottleneckSize, Activation);
                adapter.train(linear.training);
                parent.ReplaceChild(name[(dot + 1)..], adapter);
                trainable.AddRange(BottleneckAdapter.AdapterModules.Select(m => $"{name}.{m}"));
            }
        }
        if (TrainLayerNorms)
            trainable.AddRange(model.Encoder.named_modules().Where(m => m.module is LayerNorm).Select(m => $"{c.Names.Root}.{m.name}"));
        LoraInjector.Freeze(model, trainable, trainLora: false);
    }

    internal override JsonObject ToJson() => new()
    {
        ["kind"] = KindName,
        ["bottleneck_size"] = BottleneckSize,
        ["activation"] = Activation.ToString().ToLowerInvariant(),
        ["train_layer_norms"] = TrainLayerNorms,
    };

    public static FineTuningMethod? TryFromJson(string kind, JsonObject json)
    {
        if (kind != KindName) return null;
        int size = json["bottleneck_size"]?.GetValue<int>() ?? throw new InvalidDataException("adapters method: 'bottleneck_size' is missing.");
        string act = json["activation"]?.GetValue<string>() ?? "gelu";
        if (!Enum.TryParse<AdapterActivation>(act, ignoreCase: true, out var activation) || !Enum.IsDefined(activation))
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"adapters method: activation '{act}' is not one of gelu, relu."));
        return new AdapterMethod(size, activation, json["train_layer_norms"]?.GetValue<bool>() ?? true);
    }
}
