using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Methods;

/// <summary>LoRA as a fine-tuning method: inject, train A/B and the head, merge for inference.</summary>
internal sealed class LoraMethod : FineTuningMethod
{
    public const string KindName = "lora";

    public LoraMethod(LoraOptions options)
    {
        options.Validate();
        Options = options.Clone();
    }

    public LoraOptions Options { get; }

    public override string Name => FormattableString.Invariant($"LoRA r={Options.Rank}");

    public override double DefaultLearningRate => 5e-4;

    internal override void Apply(TaskModel model) => LoraInjector.Inject(model, Options);

    internal override void PrepareForInference(TaskModel model)
    {
        foreach (var l in model.modules().OfType<LoraLinear>()) l.Merge();
    }

    internal override void PrepareForTraining(TaskModel model)
    {
        foreach (var l in model.modules().OfType<LoraLinear>()) l.Unmerge();
    }

    internal override JsonObject ToJson() => new()
    {
        ["kind"] = KindName,
        ["peft_config"] = JsonNode.Parse(new PeftAdapterConfig
        {
            R = Options.Rank, LoraAlpha = Options.Alpha, LoraDropout = Options.Dropout, TargetModules = Options.TargetModules?.ToList(),
            TargetModulesRegex = Options.TargetModulesRegex, LayersToTransform = Options.LayersToTransform?.ToList(),
            UseRsLora = Options.UseRsLora, InitLoraWeights = Options.Init, ModulesToSave = Options.ModulesToSave?.ToList(),
        }.ToJson()),
        ["all_linear"] = Options.TargetAllLinear,
    };

    public static LoraMethod FromJson(JsonObject json)
    {
        var options = PeftAdapterConfig.Parse(json["peft_config"]!.ToJsonString(), "model lora config").ToLoraOptions();
        options.TargetAllLinear = json["all_linear"]?.GetValue<bool>() ?? false;
        if (options.TargetAllLinear) options.TargetModules = null;
        return new LoraMethod(options);
    }
}
