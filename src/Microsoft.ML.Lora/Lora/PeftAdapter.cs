using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// LoRA adapters in PEFT's own format (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), so adapters move
/// between Python (<c>PeftModel.from_pretrained</c>) and .NET. Keys are <c>base_model.model.</c> + the Hugging Face module
/// name, e.g. <c>base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight</c> [r, in], <c>…lora_B.weight</c>
/// [out, r], <c>…lora_B.bias</c> [out] with <c>lora_bias</c>, <c>…lora_magnitude_vector</c> [out] with DoRA, the head's under
/// its own name (<c>base_model.model.classifier.weight</c>); the task's <see cref="PeftTaskType"/> says the task type, the
/// head modules PEFT implies, and whether keys are relative to the bare encoder. Beside the adapter a <c>config.json</c>
/// (the Hugging Face task model's, with <c>id2label</c>) tells Python the architecture and the label names.
/// </summary>
internal static class PeftAdapter
{
    /// <summary>File name of the weights.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    /// <summary>File name of the Hugging Face model config written beside the adapter.</summary>
    public const string ModelConfigFileName = "config.json";

    /// <summary>The tensors an adapter of <paramref name="model"/> holds, by PEFT key (LoRA's own and those of the saved modules).</summary>
    public static Dictionary<string, Tensor> AdapterTensors(TaskModel model, IReadOnlyList<string> savedModules, PeftTaskType taskType)
    {
        string root = model.Encoder.Config.Names.Root;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in model.state_dict())
        {
            // A bare-encoder adapter holds the encoder's tensors only: a task model's head is not part of it.
            if (taskType.EncoderRelativeKeys && !name.StartsWith(root + ".", StringComparison.Ordinal)) continue;
            if (LoraLinear.IsAdapterTensor(name) || savedModules.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal)))
                result[taskType.ToPeftKey(root, name)] = t;
        }
        return result;
    }

    /// <summary>Writes the adapter of a LoRA-injected <paramref name="model"/> into <paramref name="folder"/>.</summary>
    /// <param name="model">A model whose LoRA layers were injected with <paramref name="options"/> (unmerged or merged: A and B are saved either way).</param>
    /// <param name="options">The options used for injection (r, alpha, targets, ...).</param>
    /// <param name="taskType">The task's PEFT task type.</param>
    /// <param name="folder">Destination folder, created if needed; every file is written atomically.</param>
    /// <param name="baseModelNameOrPath">Written as <c>base_model_name_or_path</c> (e.g. "sentence-transformers/all-MiniLM-L6-v2").</param>
    /// <param name="outputNames">The head's output names in index order, written as <c>id2label</c> in <c>config.json</c>; null = none.</param>
    public static void Save(TaskModel model, LoraOptions options, PeftTaskType taskType, string folder, string? baseModelNameOrPath,
        IReadOnlyList<string>? outputNames = null)
    {
        var adapted = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name).ToList();
        if (adapted.Count == 0) throw new InvalidOperationException("The model has no LoRA layers to save.");
        var saved = LoraInjector.TrainableModules(model, options.ModulesToSave);
        var config = PeftAdapterWriting.Config(model, options, taskType, adapted, saved) with { BaseModelNameOrPath = baseModelNameOrPath };
        Directory.CreateDirectory(folder);
        HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(folder, WeightsFileName), AdapterTensors(model, saved, taskType));
        AtomicFile.WriteAllText(Path.Combine(folder, ModelConfigFileName), model.Encoder.Config.ToJson(taskType.Architecture(model.Encoder.Config), outputNames));
        AtomicFile.WriteAllText(Path.Combine(folder, PeftAdapterConfig.FileName), config.ToJson());
    }

    /// <summary>
    /// Reads <c>adapter_config.json</c> of <paramref name="folder"/>. Temporary files that a killed save left in the folder
    /// are removed first (never the adapter's files, which renames keep whole).
    /// </summary>
    public static PeftAdapterConfig ReadConfig(string folder)
    {
        foreach (var file in new[] { WeightsFileName, PeftAdapterConfig.FileName, ModelConfigFileName })
            TempFiles.RemoveAbandoned(Path.GetFullPath(Path.Combine(folder, file)));
        var path = Path.Combine(folder, PeftAdapterConfig.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {PeftAdapterConfig.FileName} in adapter folder {folder}.", path);
        return PeftAdapterConfig.Parse(JsonFields.ReadAllText(path), path);
    }

    /// <summary>The shapes of the adapter's tensors, by the task model's names (a task reads its head's size from them).</summary>
    public static IReadOnlyDictionary<string, long[]> ReadShapes(string folder, PeftTaskType taskType, string encoderRoot)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (key, entry) in SafetensorsHeader.Read(WeightsPath(folder)).Tensors)
            if (taskType.TryFromPeftKey(encoderRoot, key, out var name)) result[name] = entry.Shape;
        return result;
    }

    /// <summary>
    /// Injects LoRA layers as the adapter in <paramref name="folder"/> describes and loads its weights (LoRA and head) into
    /// <paramref name="model"/>, which must be the adapter's base model with a head of the same size. An adapter of a
    /// bare-encoder task type (FEATURE_EXTRACTION) loads onto the encoder of any task model, whose head is left as it is.
    /// </summary>
    /// <exception cref="InvalidDataException">The adapter does not fit: the message names the first mismatching key and both shapes.</exception>
    public static LoraOptions Load(TaskModel model, PeftTaskType taskType, string folder)
    {
        var options = ReadConfig(folder).ToLoraOptions();
        if (model.named_modules().Any(m => m.module is LoraLinear))
            throw new InvalidOperationException("The model already has LoRA layers; load an adapter into a fresh base model.");
        // The adapter's names are PEFT's for its task type (encoder-relative for a bare encoder), whatever the model's head.
        bool bare = model.IsBareEncoder;
        model.IsBareEncoder = taskType.EncoderRelativeKeys;
        try { Inject(model, options, Path.Combine(folder, PeftAdapterConfig.FileName)); }
        finally { model.IsBareEncoder = bare; }
        LoadWeights(model, options, taskType, folder);
        return options;
    }

    /// <summary>Injects as <see cref="LoraInjector.Inject"/> does; an option the model refuses is reported against <paramref name="source"/>.</summary>
    public static void Inject(TaskModel model, LoraOptions options, string source)
    {
        try { LoraInjector.Inject(model, options); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
    }

    /// <summary>
    /// Loads the adapter's weights (LoRA and head) into <paramref name="model"/>, on which LoRA was injected with
    /// <paramref name="options"/> (the adapter's own): every tensor must have its place, of the same shape and a float type,
    /// and none may be missing. Nothing is copied before all of that is checked.
    /// </summary>
    /// <exception cref="InvalidDataException">The adapter does not fit: the message names the first mismatching key and both shapes.</exception>
    public static void LoadWeights(TaskModel model, LoraOptions options, PeftTaskType taskType, string folder)
    {
        var path = WeightsPath(folder);
        var header = SafetensorsHeader.Read(path);
        var expected = AdapterTensors(model, LoraInjector.TrainableModules(model, options.ModulesToSave), taskType);
        foreach (var (key, entry) in header.Tensors)
        {
            if (!expected.TryGetValue(key, out var target))
                throw new InvalidDataException($"{path}: tensor '{key}' [{string.Join(", ", entry.Shape)}] has no place in this {model.Encoder.Config.ModelType} model: {WhyNoPlace(model, taskType, key)}.");
            if (!entry.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{path}: tensor '{key}' has shape [{string.Join(", ", entry.Shape)}], this model expects [{string.Join(", ", target.shape)}] (adapter made for a different base or label count?).");
            if (entry.DType is not ("F32" or "F16" or "BF16" or "F64"))
                throw new InvalidDataException($"{path}: tensor '{key}' has dtype {entry.DType}; expected a float type (F32, F16, BF16 or F64).");
        }
        var missing = expected.Keys.FirstOrDefault(k => !header.Tensors.ContainsKey(k));
        if (missing is not null)
            throw new InvalidDataException($"{path}: tensor '{missing}' [{string.Join(", ", expected[missing].shape)}] is missing from the adapter (its {PeftAdapterConfig.FileName} targets that module).");
        var loaded = Safetensors.LoadStateDict(path);
        try
        {
            using var _ = no_grad();
            foreach (var (key, target) in expected) target.copy_(loaded[key]);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    // A tensor without a place: from another architecture, for a module the config does not target, or another PEFT method.
    private static string WhyNoPlace(TaskModel model, PeftTaskType taskType, string key)
    {
        if (!taskType.TryFromPeftKey(model.Encoder.Config.Names.Root, key, out var name))
            return $"PEFT keys start with '{PeftTaskType.KeyPrefix}'";
        var state = model.state_dict();
        int cut = name.IndexOf(".lora_", StringComparison.Ordinal);
        string module = cut > 0 ? name[..cut] : name[..Math.Max(0, name.LastIndexOf('.'))];
        if (!model.named_modules().Any(m => m.name == module))
            return $"the model has no module '{model.HuggingFaceName(module)}' (an adapter for another architecture or task type, {taskType.Name} expected?)";
        if (cut > 0) return $"{PeftAdapterConfig.FileName} does not target module '{model.HuggingFaceName(module)}', or the tensor is of a LoRA variant it does not enable";
        return state.ContainsKey(name) ? $"'{model.HuggingFaceName(module)}' is not among the modules_to_save of {PeftAdapterConfig.FileName}" : "the module has no such parameter";
    }

    private static string WeightsPath(string folder)
    {
        var path = Path.Combine(folder, WeightsFileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"No {WeightsFileName} in adapter folder {folder}.", path);
    }
}
