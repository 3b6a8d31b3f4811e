using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Lora;

/// <summary>
/// LoRA adapters in PEFT's own format (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), so adapters move
/// between Python (<c>PeftModel.from_pretrained</c>) and .NET. Keys are <c>base_model.model.</c> + the Hugging Face module
/// name, e.g. <c>base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight</c> [r, in]; the head is saved
/// under <c>base_model.model.classifier.*</c>.
/// </summary>
public static class PeftAdapter
{
    /// <summary>File name of the weights.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";
    /// <summary>Prefix PEFT puts in front of every key.</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>PEFT's task type for a model.</summary>
    public static string TaskTypeOf(TaskModel model) => model is TokenClassificationModel ? "TOKEN_CLS" : "SEQ_CLS";

    /// <summary>The tensors an adapter of <paramref name="model"/> holds, by PEFT key (LoRA A/B and the saved modules).</summary>
    public static Dictionary<string, Tensor> AdapterTensors(TaskModel model, IReadOnlyList<string> savedModules)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in model.state_dict())
        {
            bool lora = name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);
            if (lora || savedModules.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal)))
                result[KeyPrefix + name] = t;
        }
        return result;
    }

    /// <summary>Writes the adapter of a LoRA-injected <paramref name="model"/> into <paramref name="folder"/>.</summary>
    /// <param name="model">A model whose LoRA layers were injected with <paramref name="options"/> (unmerged or merged: A and B are saved either way).</param>
    /// <param name="options">The options used for injection (r, alpha, targets, ...).</param>
    /// <param name="folder">Destination folder, created if needed; both files are written atomically.</param>
    /// <param name="baseModelNameOrPath">Written as <c>base_model_name_or_path</c> (e.g. "sentence-transformers/all-MiniLM-L6-v2").</param>
    public static void Save(TaskModel model, LoraOptions options, string folder, string? baseModelNameOrPath)
    {
        var loraModules = model.named_modules().Where(m => m.module is LoraLinear).Select(m => m.name).ToList();
        if (loraModules.Count == 0) throw new InvalidOperationException("The model has no LoRA layers to save.");
        var saved = LoraInjector.TrainableModules(model, options.ModulesToSave);
        var config = new PeftAdapterConfig
        {
            TaskType = TaskTypeOf(model), R = options.Rank, LoraAlpha = options.Alpha, LoraDropout = options.Dropout,
            // PEFT resolves "all-linear" to the concrete names before saving; do the same for a self-describing file.
            TargetModules = options.TargetModulesRegex is null ? loraModules.Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct().ToList() : null,
            TargetModulesRegex = options.TargetModulesRegex,
            LayersToTransform = options.LayersToTransform?.ToList(),
            // PEFT adds the classifier names for SEQ_CLS itself; listing them keeps TOKEN_CLS heads too.
            ModulesToSave = saved.Select(m => m[(m.LastIndexOf('.') + 1)..]).Concat(TaskTypeOf(model) == "SEQ_CLS" ? new[] { "classifier", "score" } : Array.Empty<string>()).Distinct().ToList(),
            UseRsLora = options.UseRsLora, InitLoraWeights = options.Init, BaseModelNameOrPath = baseModelNameOrPath,
        };
        Directory.CreateDirectory(folder);
        HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(folder, WeightsFileName), AdapterTensors(model, saved));
        AtomicFile.WriteAllText(Path.Combine(folder, PeftAdapterConfig.FileName), config.ToJson());
    }

    /// <summary>Number of outputs of the adapter's saved classifier (its label count), read from the safetensors header.</summary>
    /// <exception cref="InvalidDataException">The adapter holds no classifier of the expected name.</exception>
    public static int HeadOutputSize(string folder, EncoderArchitecture architecture)
    {
        var path = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {WeightsFileName} in adapter folder {folder}.", path);
        string key = KeyPrefix + (architecture == EncoderArchitecture.Roberta ? "classifier.out_proj.bias" : "classifier.bias");
        return SafetensorsHeader.Read(path).Tensors.TryGetValue(key, out var entry) && entry.Shape.Length == 1
            ? (int)entry.Shape[0]
            : throw new InvalidDataException($"{path}: no '{key}' tensor; the adapter must save its classification head (modules_to_save).");
    }

    /// <summary>True when the adapter's weights hold <paramref name="moduleKey"/> (a model-relative name, e.g. <c>bert.pooler.dense.weight</c>).</summary>
    public static bool HasTensor(string folder, string moduleKey)
        => SafetensorsHeader.Read(Path.Combine(folder, WeightsFileName)).Tensors.ContainsKey(KeyPrefix + moduleKey);

    /// <summary>Reads <c>adapter_config.json</c> of <paramref name="folder"/>.</summary>
    public static PeftAdapterConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, PeftAdapterConfig.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {PeftAdapterConfig.FileName} in adapter folder {folder}.", path);
        return PeftAdapterConfig.Parse(JsonFields.ReadAllText(path), path);
    }

    /// <summary>
    /// Injects LoRA layers as the adapter in <paramref name="folder"/> describes and loads its weights (LoRA and head) into
    /// <paramref name="model"/>, which must be the adapter's base model with a head of the same size.
    /// </summary>
    /// <exception cref="InvalidDataException">The adapter does not fit: the message names the first mismatching key and both shapes.</exception>
    public static LoraOptions Load(TaskModel model, string folder)
    {
        // Temporary files of a save that was killed are garbage: remove them (never the files themselves, which renames keep whole).
        foreach (var file in new[] { WeightsFileName, PeftAdapterConfig.FileName })
            TempFiles.RemoveAbandoned(Path.GetFullPath(Path.Combine(folder, file)));
        var config = ReadConfig(folder);
        var path = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {WeightsFileName} in adapter folder {folder}.", path);
        var header = SafetensorsHeader.Read(path);
        var options = config.ToLoraOptions();
        if (model.named_modules().Any(m => m.module is LoraLinear))
            throw new InvalidOperationException("The model already has LoRA layers; load an adapter into a fresh base model.");
        LoraInjector.Inject(model, options);
        var expected = AdapterTensors(model, LoraInjector.TrainableModules(model, options.ModulesToSave));
        foreach (var (key, entry) in header.Tensors)
        {
            if (!expected.TryGetValue(key, out var target))
                throw new InvalidDataException($"{path}: tensor '{key}' [{string.Join(", ", entry.Shape)}] has no place in this {model.Encoder.Config.ModelType} model (adapter made for a different base?).");
            if (!entry.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{path}: tensor '{key}' has shape [{string.Join(", ", entry.Shape)}], this model expects [{string.Join(", ", target.shape)}] (adapter made for a different base or label count?).");
        }
        var missing = expected.Keys.FirstOrDefault(k => !header.Tensors.ContainsKey(k));
        if (missing is not null)
            throw new InvalidDataException($"{path}: tensor '{missing}' [{string.Join(", ", expected[missing].shape)}] is missing from the adapter.");
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
        return options;
    }
}
