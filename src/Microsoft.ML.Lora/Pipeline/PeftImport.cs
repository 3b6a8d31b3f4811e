using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// A model ready to score from a PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, e.g.
/// trained in Python) on the base the options name: the task checks the task type and reads its head from the adapter's
/// tensors and its output names from the <c>config.json</c> beside it; the shared builder does the rest, as for <c>Fit</c>
/// and .zip loading. The model shares the base's frozen weights with other models of the process on the same base.
/// Every task face calls this from its <c>FromPeftAdapter</c>.
/// </summary>
internal static class PeftImport
{
    /// <param name="env">The host.</param>
    /// <param name="options">The task's options: base model, maximum length, device (the columns are the task's).</param>
    /// <param name="task">A fresh task made from the options (with the output names the caller gave, if any).</param>
    /// <param name="adapterFolder">The adapter folder.</param>
    /// <param name="component">The component name in ML.NET's log.</param>
    /// <exception cref="InvalidDataException">The adapter is of another task type, uses a setting this library cannot honour, or
    /// does not fit the base (names the file, the key or tensor, and what was expected).</exception>
    public static FineTunedModel Load(IHostEnvironment env, FineTuningOptions options, FineTuningTask task, string adapterFolder, string component)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(adapterFolder);
        if (!Directory.Exists(adapterFolder)) throw new DirectoryNotFoundException($"PEFT adapter folder not found: {Path.GetFullPath(adapterFolder)}");
        using var ch = env.Register(component).Start("PEFT import");
        string configPath = Path.Combine(adapterFolder, PeftAdapterConfig.FileName);
        var config = PeftAdapter.ReadConfig(adapterFolder);
        if (config.IgnoredKeys.Count > 0)
            ch.Info($"{configPath}: ignored {string.Join(", ", config.IgnoredKeys)} (keys PEFT 0.20 does not know are ignored, as PEFT does).");
        CheckTaskType(config, task, configPath, ch);
        var source = EncoderSource.FromPretrained(options.BaseModel, options.MaxSequenceLength, ch.Info);
        var shapes = PeftAdapter.ReadShapes(adapterFolder, task.PeftTaskType, source.Config.Names.Root);
        var head = task.HeadFromPeftAdapter(shapes, source.Config, Path.Combine(adapterFolder, PeftAdapter.WeightsFileName));
        if (HeadPoolingFile.Read(adapterFolder) == TokenPooling.Mean) head = HeadSpec.MeanPooled(head.Outputs);   // written by SaveAdapter
        string modelConfig = Path.Combine(adapterFolder, PeftAdapter.ModelConfigFileName);
        task.CompleteOutputNames(head, ReadLabels(modelConfig), modelConfig);
        var lora = config.ToLoraOptions();
        var ready = WithSource(configPath, () => ReadyModelBuilder.Build(source, head, task.CreateHead, new LoraMethod(lora), LoadDevice.For(env, options, ch.Info),
            loadWeights: model => PeftAdapter.LoadWeights(model, lora, task.PeftTaskType, adapterFolder), log: ch.Info,
            peftTaskType: task.PeftTaskType, shareBase: true));
        ch.Info($"PEFT adapter {adapterFolder} ({config}) loaded on {source.Name}.");
        return new FineTunedModel(ready);
    }

    /// <summary>The earlier signature: <paramref name="baseModel"/> and <paramref name="maxSequenceLength"/> instead of the options.</summary>
    public static FineTunedModel Load(IHostEnvironment env, string adapterFolder, PretrainedModel baseModel, FineTuningTask task, int? maxSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        return Load(env, new ImportOptions { BaseModel = baseModel, MaxSequenceLength = maxSequenceLength }, task, adapterFolder, "PeftImport");
    }

    /// <summary>The <c>id2label</c> of a Hugging Face <c>config.json</c>, or null when the file or the key is absent.</summary>
    public static IReadOnlyList<string>? ReadLabels(string configPath) => HuggingFaceModelConfig.Read(configPath)?.Labels;

    /// <summary>Runs <paramref name="build"/>; an option or module the model refuses is reported against <paramref name="source"/>.</summary>
    public static ReadyModel WithSource(string source, Func<ReadyModel> build)
    {
        try { return build(); }
        catch (ArgumentException e) when (e is not ArgumentNullException) { throw new InvalidDataException($"{source}: {e.Message}", e); }
    }

    private static void CheckTaskType(PeftAdapterConfig config, FineTuningTask task, string configPath, IChannel ch)
    {
        string expected = task.PeftTaskType.Name;
        if (config.TaskType is null)
        {
            ch.Warning($"{configPath}: no task_type; loading it as {expected}.");
            return;
        }
        if (config.TaskType == expected) return;
        string hint = PeftTaskType.All.Any(t => t.Name == config.TaskType)
            ? $"a {config.TaskType} adapter holds the weights of another kind of model; load it with the task whose PEFT type is {config.TaskType}"
            : $"'{config.TaskType}' is not a task type this library knows ({string.Join(", ", PeftTaskType.All.Select(t => t.Name))})";
        throw new InvalidDataException($"{configPath}: task_type is '{config.TaskType}', expected '{expected}': {hint}.");
    }

    private sealed class ImportOptions : FineTuningOptions
    {
    }
}
