using System.Text.RegularExpressions;
using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// Puts LoRA layers into a task model by module name (PEFT's <c>inject_adapter</c>) and freezes everything else except the
/// head and <see cref="LoraOptions.ModulesToSave"/>.
/// </summary>
internal static class LoraInjector
{
    private static readonly Regex LayerIndex = new(@"\.(?:layer|layers|h|block|blocks)\.(\d+)\.", RegexOptions.Compiled);

    /// <summary>
    /// Replaces every targeted Linear of <paramref name="model"/>'s encoder by a <see cref="LoraLinear"/> and freezes the
    /// rest. Returns the adapted module names (as in the model's <c>named_modules()</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options, or no module matched the targets.</exception>
    public static IReadOnlyList<string> Inject(TaskModel model, LoraOptions options)
    {
        options.Validate();
        var targets = TargetNames(model, options);
        if (targets.Count == 0)
            throw new ArgumentException($"No Linear module of the {model.Encoder.Config.ModelType} encoder matches the LoRA targets ({Describe(options, model)}).", nameof(options));
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var name in targets)
        {
            var linear = (Linear)modules[name];
            int dot = name.LastIndexOf('.');
            if (modules[name[..dot]] is not NamedModule parent)
                throw new InvalidOperationException($"Cannot replace '{name}': its parent is not a replaceable block.");
            var lora = new LoraLinear(linear, options.Rank, options.Scaling, options.Dropout, options.Init);
            lora.train(linear.training);   // a model already in eval mode must not start dropping out
            parent.ReplaceChild(name[(dot + 1)..], lora);
        }
        Freeze(model, TrainableModules(model, options.ModulesToSave), trainLora: true);
        return targets;
    }

    /// <summary>
    /// PEFT's <c>merge_and_unload</c>: replaces every <see cref="LoraLinear"/> of <paramref name="model"/> by a plain Linear
    /// holding W0 + B·A·scale, leaving the encoder exactly as the base architecture (no LoRA modules, no extra cost).
    /// Returns the number of layers merged. The adapter cannot be trained or saved afterwards.
    /// </summary>
    public static int MergeAndUnload(TaskModel model)
    {
        var loras = model.named_modules().Where(m => m.module is LoraLinear).ToList();
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var (name, module) in loras)
        {
            var lora = (LoraLinear)module;
            int dot = name.LastIndexOf('.');
            var merged = lora.ToMergedLinear();
            merged.train(lora.training);
            ((NamedModule)modules[name[..dot]]).ReplaceChild(name[(dot + 1)..], merged);
            lora.Dispose();
        }
        return loras.Count;
    }

    /// <summary>The modules whose parameters stay trainable besides LoRA's: the head plus matching <paramref name="modulesToSave"/>.</summary>
    public static IReadOnlyList<string> TrainableModules(TaskModel model, IEnumerable<string>? modulesToSave)
    {
        var result = model.HeadModules.ToList();
        if (modulesToSave is null) return result;
        foreach (var (name, _) in model.named_modules())
            if (!result.Contains(name) && modulesToSave.Any(t => name == t || name.EndsWith("." + t, StringComparison.Ordinal)))
                result.Add(name);
        return result;
    }

    /// <summary>Sets <c>requires_grad</c>: true for parameters inside <paramref name="trainableModules"/> (and LoRA's A/B when asked), false elsewhere.</summary>
    public static void Freeze(TaskModel model, IReadOnlyList<string> trainableModules, bool trainLora)
    {
        foreach (var (name, p) in model.named_parameters())
        {
            bool train = trainableModules.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal))
                || (trainLora && (name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal)));
            p.requires_grad = train;
        }
    }

    /// <summary>Names of the encoder's Linear modules that the options select.</summary>
    public static IReadOnlyList<string> TargetNames(TaskModel model, LoraOptions options)
    {
        string root = model.Encoder.Config.Names.Root + ".";
        var regex = options.TargetModulesRegex is null ? null : new Regex("^(?:" + options.TargetModulesRegex + ")$");
        IEnumerable<string>? names = options.TargetAllLinear || regex is not null ? null
            : options.TargetModules is { Count: > 0 } t ? t : model.Encoder.Config.Names.DefaultLoraTargets;
        var result = new List<string>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not Linear || !name.StartsWith(root, StringComparison.Ordinal)) continue;
            bool hit = options.TargetAllLinear
                || (regex?.IsMatch(name) ?? names!.Any(n => name == n || name.EndsWith("." + n, StringComparison.Ordinal)));
            if (!hit) continue;
            if (options.LayersToTransform is { Count: > 0 } layers)
            {
                var m = LayerIndex.Match(name);
                if (!m.Success || !layers.Contains(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))) continue;
            }
            result.Add(name);
        }
        return result;
    }

    private static string Describe(LoraOptions o, TaskModel model) =>
        o.TargetAllLinear ? "all-linear"
        : o.TargetModulesRegex is not null ? $"regex '{o.TargetModulesRegex}'"
        : $"names [{string.Join(", ", (IEnumerable<string>?)o.TargetModules ?? model.Encoder.Config.Names.DefaultLoraTargets)}]"
          + (o.LayersToTransform is { Count: > 0 } l ? $" in layers [{string.Join(", ", l)}]" : "");
}
