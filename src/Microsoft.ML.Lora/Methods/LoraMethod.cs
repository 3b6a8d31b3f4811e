using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

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

    // On a shared base each adapted layer computes W0·x + scale·B·A·x (about 3% more work for r = 8 on query and value)
    // instead of holding a merged copy of its matrix: memory stays base + adapters.
    internal override void PrepareForInference(TaskModel model, bool baseIsShared)
    {
        if (!baseIsShared) PrepareForInference(model);
    }

    internal override IReadOnlyDictionary<string, Tensor>? MergedTensors(TaskModel model) => LoraInjector.MergedStateDict(model);

    internal override void PrepareForTraining(TaskModel model)
    {
        foreach (var l in model.modules().OfType<LoraLinear>()) l.Unmerge();
    }

    public override bool HasPeftAdapter => true;

    internal override void SavePeftAdapter(TaskModel model, PeftTaskType taskType, string folder, string? baseModelName, IReadOnlyList<string>? outputNames = null)
        => PeftAdapter.Save(model, Options, taskType, folder, baseModelName, outputNames);

    internal override JsonObject ToJson() => new()
    {
        ["kind"] = KindName,
        ["peft_config"] = JsonNode.Parse(PeftAdapterConfig.FromLoraOptions(Options).ToJson()),
    };

    public static LoraMethod FromJson(JsonObject json)
    {
        var options = PeftAdapterConfig.Parse(json["peft_config"]!.ToJsonString(), "model lora config").ToLoraOptions();
        // Format-1 zips flagged all-linear beside the config instead of in target_modules.
        if (json["all_linear"]?.GetValue<bool>() == true)
        {
            options.TargetAllLinear = true;
            options.TargetModules = null;
        }
        return new LoraMethod(options);
    }
}
