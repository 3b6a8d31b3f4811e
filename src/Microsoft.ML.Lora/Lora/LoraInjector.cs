using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// Puts LoRA layers into a task model by module name (PEFT's <c>inject_adapter</c>, with PEFT's matching rules on the Hugging
/// Face names, <see cref="PeftModuleRules"/>) and freezes everything else except the head and <see cref="LoraOptions.ModulesToSave"/>.
/// </summary>
internal static class LoraInjector
{
    /// <summary>
    /// Replaces every targeted Linear of <paramref name="model"/> by a <see cref="LoraLinear"/> and freezes the rest. Returns
    /// the adapted module names (as in the model's <c>named_modules()</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options, no module matched the targets, or a target is not a Linear.</exception>
    public static IReadOnlyList<string> Inject(TaskModel model, LoraOptions options)
    {
        options.Validate();
        var plan = Plan(model, options);
        if (plan.Count == 0)
            throw new ArgumentException($"No Linear module of the {model.Encoder.Config.ModelType} model matches the LoRA targets ({Describe(options, model)}) outside the modules trained in full.", nameof(options));
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var target in plan)
        {
            var linear = (Linear)modules[target.Name];
            int dot = target.Name.LastIndexOf('.');
            if (dot < 0 || modules[target.Name[..dot]] is not NamedModule parent)
                throw new InvalidOperationException($"Cannot replace '{target.Name}': its parent is not a replaceable block.");
            var lora = new LoraLinear(linear, target.Rank, target.Scaling, options.Dropout, options.Init, options.LoraBias, options.UseDora);
            lora.train(linear.training);   // a model already in eval mode must not start dropping out
            parent.ReplaceChild(target.Name[(dot + 1)..], lora);
        }
        Freeze(model, TrainableModules(model, options.ModulesToSave), trainLora: true);
        return plan.Select(t => t.Name).ToList();
    }

    /// <summary>
    /// PEFT's <c>merge_and_unload</c>: replaces every <see cref="LoraLinear"/> of <paramref name="model"/> by a plain Linear
    /// holding the merged weight, leaving the encoder exactly as the base architecture (no LoRA modules, no extra cost).
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

    /// <summary>
    /// The weights of the merged model without changing <paramref name="model"/>: every <see cref="LoraLinear"/>'s <c>weight</c>
    /// (and <c>bias</c>, with <c>lora_bias</c>) replaced by the merged one, LoRA's own tensors left out — the keys and shapes
    /// of the plain architecture. Merged tensors are new (the caller disposes them with the dictionary's scope); the rest are the model's.
    /// </summary>
    public static Dictionary<string, TorchSharp.torch.Tensor> MergedStateDict(TaskModel model)
    {
        var loras = model.named_modules().Where(m => m.module is LoraLinear).ToDictionary(m => m.name, m => (LoraLinear)m.module, StringComparer.Ordinal);
        var result = new Dictionary<string, TorchSharp.torch.Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in model.state_dict())
        {
            if (LoraLinear.IsAdapterTensor(name)) continue;
            int dot = name.LastIndexOf('.');
            if (dot > 0 && loras.TryGetValue(name[..dot], out var lora))
            {
                if (name.EndsWith(".weight", StringComparison.Ordinal)) { result[name] = lora.MergedWeight(); continue; }
                if (name.EndsWith(".bias", StringComparison.Ordinal) && lora.MergedBias() is { } bias) { result[name] = bias; continue; }
            }
            result[name] = tensor;
        }
        return result;
    }

    /// <summary>
    /// The modules whose parameters stay trainable besides LoRA's: the head plus every module whose Hugging Face name ends
    /// with an entry of <paramref name="modulesToSave"/> (PEFT's <c>modules_to_save</c>: a plain suffix, so "classifier" also
    /// selects DistilBERT's <c>pre_classifier</c>). Modules inside a listed one are not listed again.
    /// </summary>
    public static IReadOnlyList<string> TrainableModules(TaskModel model, IEnumerable<string>? modulesToSave)
    {
        var result = model.HeadModules.ToList();
        if (modulesToSave is null) return result;
        var entries = modulesToSave.Distinct(StringComparer.Ordinal).ToList();
        foreach (var (name, _) in model.named_modules())
        {
            if (name.Length == 0 || result.Any(r => Inside(name, r))) continue;
            if (PeftModuleRules.IsModuleToSave(entries, model.HuggingFaceName(name))) result.Add(name);
        }
        return result;
    }

    /// <summary>Sets <c>requires_grad</c>: true for parameters inside <paramref name="trainableModules"/> (and LoRA's own when asked), false elsewhere.</summary>
    public static void Freeze(TaskModel model, IReadOnlyList<string> trainableModules, bool trainLora)
    {
        foreach (var (name, p) in model.named_parameters())
        {
            bool train = trainableModules.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal))
                || (trainLora && LoraLinear.IsAdapterTensor(name));
            p.requires_grad = train;
        }
    }

    /// <summary>Names of the model's Linear modules that the options select (as in <c>named_modules()</c>).</summary>
    public static IReadOnlyList<string> TargetNames(TaskModel model, LoraOptions options) => Plan(model, options).Select(t => t.Name).ToList();

    /// <summary>
    /// What <paramref name="options"/> adapt in <paramref name="model"/>, as PEFT decides it on the Hugging Face names: a module
    /// is adapted when the targets select it (names or suffixes, with <c>layers_to_transform</c> unless named exactly; a
    /// regex matching the whole name; or every Linear), no <c>exclude_modules</c> entry matches it, and it is not inside a
    /// module trained in full (the head, <c>modules_to_save</c>). Rank and alpha come from the first matching pattern key.
    /// </summary>
    /// <exception cref="ArgumentException">A selected module is not a Linear (PEFT also refuses modules it cannot adapt).</exception>
    public static IReadOnlyList<LoraTarget> Plan(TaskModel model, LoraOptions options)
    {
        var saved = TrainableModules(model, options.ModulesToSave);
        var savedEntries = options.ModulesToSave?.ToList() ?? new List<string>();
        IReadOnlyList<string>? names = options.TargetAllLinear || options.TargetModulesRegex is not null ? null
            : options.TargetModules is { Count: > 0 } t ? t.ToList() : model.Encoder.Config.Names.DefaultLoraTargets;
        var rankKeys = options.RankPattern?.Keys.ToList() ?? new List<string>();
        var alphaKeys = options.AlphaPattern?.Keys.ToList() ?? new List<string>();
        var result = new List<LoraTarget>();
        var loraModules = new List<string>();
        foreach (var (name, module) in model.named_modules())
        {
            if (name.Length == 0) continue;
            if (module is LoraLinear) loraModules.Add(name);
            if (loraModules.Any(l => Inside(name, l))) continue;   // LoRA's own A and B
            string key = model.HuggingFaceName(name);
            bool linear = module is Linear or LoraLinear;   // an adapted layer counts as the Linear it wraps (checking a written config)
            bool selected = options.TargetAllLinear ? linear && InLayers(options, key)
                : options.TargetModulesRegex is { } regex ? PeftModuleRules.FullMatch(regex, key)
                : PeftModuleRules.IsExactName(names!, key) || (PeftModuleRules.MatchesNameList(names!, key) && InLayers(options, key));
            if (!selected || Excluded(options, key)) continue;
            if (saved.Any(s => name == s || Inside(name, s)) || PeftModuleRules.InsideModuleToSave(savedEntries, key)) continue;
            if (!linear)
                throw new ArgumentException($"LoRA target '{key}' ({Describe(options, model)}) is a {module.GetType().Name}, not a Linear layer: Microsoft.ML.Lora adapts Linear layers only.", nameof(options));
            int rank = PeftModuleRules.PatternKey(rankKeys, key) is { } rk ? options.RankPattern![rk] : options.Rank;
            double alpha = PeftModuleRules.PatternKey(alphaKeys, key) is { } ak ? options.AlphaPattern![ak] : options.Alpha;
            result.Add(new LoraTarget(name, rank, alpha, options.ScalingOf(rank, alpha)));
        }
        return result;
    }

    private static bool InLayers(LoraOptions options, string key)
    {
        if (options.LayersToTransform is not { Count: > 0 } layers) return true;
        return PeftModuleRules.LayerIndex(key, options.LayersPattern?.ToList()) is { } index && layers.Any(l => l == index);
    }

    private static bool Excluded(LoraOptions options, string key)
        => options.ExcludeModulesRegex is { } regex ? PeftModuleRules.FullMatch(regex, key)
            : options.ExcludeModules is { Count: > 0 } list && PeftModuleRules.MatchesNameList(list, key);

    private static bool Inside(string name, string module) => name.StartsWith(module + ".", StringComparison.Ordinal);

    private static string Describe(LoraOptions o, TaskModel model) =>
        o.TargetAllLinear ? "all-linear"
        : o.TargetModulesRegex is not null ? $"regex '{o.TargetModulesRegex}'"
        : $"names [{string.Join(", ", (IEnumerable<string>?)o.TargetModules ?? model.Encoder.Config.Names.DefaultLoraTargets)}]"
          + (o.LayersToTransform is { Count: > 0 } l ? $" in layers [{string.Join(", ", l)}]" : "");
}

/// <summary>One module LoRA adapts: its name (as in <c>named_modules()</c>), rank, alpha and the scale applied to B·A.</summary>
internal sealed record LoraTarget(string Name, int Rank, double Alpha, double Scaling);
