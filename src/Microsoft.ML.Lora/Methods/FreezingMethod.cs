using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Methods;

/// <summary>Methods that add nothing and only choose what trains: full, head-only, last-n-layers.</summary>
internal sealed class FreezingMethod : FineTuningMethod
{
    public enum Kind { Full, HeadOnly, LastLayers }

    private readonly Kind kind;
    private readonly int layers;

    public FreezingMethod(Kind kind, int layers)
    {
        if (kind == Kind.LastLayers && (layers < 1 || layers > 65536))
            throw new ArgumentOutOfRangeException(nameof(layers), layers, "LastLayers needs between 1 and 65536 layers.");
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown freezing method.");
        this.kind = kind;
        this.layers = layers;
    }

    public override string Name => kind == Kind.LastLayers ? $"LastLayers({layers})" : kind.ToString();

    public override double DefaultLearningRate => kind switch { Kind.Full => 5e-5, Kind.LastLayers => 1e-4, _ => 1e-3 };

    internal override void Apply(TaskModel model)
    {
        var trainable = model.HeadModules.ToList();
        if (kind == Kind.Full) trainable.Add(model.Encoder.Config.Names.Root);
        if (kind == Kind.LastLayers)
        {
            var c = model.Encoder.Config;
            if (layers > c.NumLayers)
                throw new ArgumentOutOfRangeException(nameof(layers), layers, $"The encoder has only {c.NumLayers} layers.");
            for (int i = c.NumLayers - layers; i < c.NumLayers; i++) trainable.Add($"{c.Names.Root}.{c.Names.LayerList}.{i}");
            if (model.Encoder.HasPooler) trainable.Add($"{c.Names.Root}.pooler");   // sits above the last layer
        }
        LoraInjector.Freeze(model, trainable, trainLora: false);
    }

    internal override JsonObject ToJson() => new() { ["kind"] = kind.ToString(), ["layers"] = layers };

    public static FreezingMethod? TryFromJson(string kindName, JsonObject json)
        => Enum.TryParse<Kind>(kindName, out var k) ? new FreezingMethod(k, json["layers"]?.GetValue<int>() ?? 0) : null;
}
