using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// The <c>adapter_config.json</c> written for a trained model, chosen so that PEFT, applying its own rules
/// (<see cref="PeftModuleRules"/>) to the Hugging Face model, adapts exactly the layers this model adapted and trains and
/// loads exactly the modules it trained. The options' own form is written when it selects that (names, a regex, all-linear as
/// the layers' short names); otherwise the adapted modules' full names, which PEFT matches one by one. <c>modules_to_save</c>
/// keeps every entry whole (dotted names included) and adds the head and the entries PEFT implies for the task type.
/// </summary>
internal static class PeftAdapterWriting
{
    /// <summary>The config of <paramref name="model"/> trained with <paramref name="options"/> (base model left unset).</summary>
    /// <param name="model">The trained model (LoRA injected).</param>
    /// <param name="options">The options it was injected with.</param>
    /// <param name="taskType">The task's PEFT task type.</param>
    /// <param name="adapted">The adapted modules (<c>named_modules()</c> names).</param>
    /// <param name="saved">The modules trained in full (<see cref="LoraInjector.TrainableModules"/>).</param>
    public static PeftAdapterConfig Config(TaskModel model, LoraOptions options, PeftTaskType taskType, IReadOnlyList<string> adapted,
        IReadOnlyList<string> saved)
    {
        var config = PeftAdapterConfig.FromLoraOptions(options) with { TaskType = taskType.Name, ModulesToSave = ModulesToSave(model, options, taskType, saved) };
        foreach (var candidate in TargetCandidates(model, options, config, adapted))
            if (Selects(model, candidate, adapted)) return candidate;
        throw new InvalidOperationException($"No adapter_config.json target list selects the {adapted.Count} adapted modules of this model ({string.Join(", ", adapted.Take(3))}, ...).");
    }

    private static IEnumerable<PeftAdapterConfig> TargetCandidates(TaskModel model, LoraOptions options, PeftAdapterConfig config, IReadOnlyList<string> adapted)
    {
        if (options.TargetAllLinear)
            yield return config with { TargetModulesRegex = null, TargetModules = adapted.Select(LastPart).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() };
        else if (options.TargetModulesRegex is null)
            yield return config with { TargetModules = options.TargetModules is { Count: > 0 } t ? t.ToList() : model.Encoder.Config.Names.DefaultLoraTargets.ToList() };
        else
            yield return config;
        // Exact names: PEFT adapts each listed module and needs no layer filter.
        yield return config with
        {
            TargetModulesRegex = null,
            LayersToTransform = null,
            LayersPattern = null,
            TargetModules = adapted.Select(model.HuggingFaceName).Order(StringComparer.Ordinal).ToList(),
        };
    }

    private static bool Selects(TaskModel model, PeftAdapterConfig config, IReadOnlyList<string> adapted)
    {
        try
        {
            var options = config.ToLoraOptions();
            options.Validate();
            return LoraInjector.TargetNames(model, options).ToHashSet(StringComparer.Ordinal).SetEquals(adapted);
        }
        catch (ArgumentException)
        {
            return false;   // a form PEFT would refuse, or one that selects a module LoRA cannot adapt
        }
    }

    private static List<string> ModulesToSave(TaskModel model, LoraOptions options, PeftTaskType taskType, IReadOnlyList<string> saved)
    {
        var written = options.ModulesToSave?.Distinct(StringComparer.Ordinal).ToList() ?? new List<string>();
        foreach (var head in model.HeadModules)
        {
            string name = model.HuggingFaceName(head);
            if (PeftModuleRules.IsModuleToSave(written, name)) continue;
            string shortName = LastPart(name);
            // The short name when it selects nothing besides what was trained ("pooler", "classifier"), else the full one.
            written.Add(SameSet(LoraInjector.TrainableModules(model, written.Append(shortName)), saved) ? shortName : name);
        }
        foreach (var implied in taskType.ImplicitModulesToSave)
            if (!written.Contains(implied, StringComparer.Ordinal)) written.Add(implied);
        if (!SameSet(LoraInjector.TrainableModules(model, written), saved))
            throw new InvalidOperationException($"modules_to_save [{string.Join(", ", written)}] would select other modules than the {saved.Count} trained in full.");
        return written;
    }

    private static bool SameSet(IEnumerable<string> a, IEnumerable<string> b) => a.ToHashSet(StringComparer.Ordinal).SetEquals(b);

    private static string LastPart(string name) => name[(name.LastIndexOf('.') + 1)..];
}
