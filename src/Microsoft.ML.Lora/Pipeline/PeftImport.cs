using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// A model ready to score from a PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, e.g.
/// trained in Python) and its base: the task checks the task type and reads its head from the adapter's tensors; the shared
/// builder does the rest, as for <c>Fit</c> and .zip loading.
/// </summary>
internal static class PeftImport
{
    /// <exception cref="InvalidDataException">The adapter is of another task type or does not fit the base (names the key and shapes).</exception>
    public static FineTunedModel Load(IHostEnvironment env, string adapterFolder, PretrainedModel baseModel, FineTuningTask task, int? maxSequenceLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(adapterFolder);
        ArgumentNullException.ThrowIfNull(baseModel);
        var config = PeftAdapter.ReadConfig(adapterFolder);
        if (config.TaskType != task.PeftTaskType.Name)
            throw new InvalidDataException($"{Path.Combine(adapterFolder, PeftAdapterConfig.FileName)}: task_type is '{config.TaskType}', expected {task.PeftTaskType.Name}.");
        var source = EncoderSource.FromPretrained(baseModel, maxSequenceLength, log: null);
        var shapes = PeftAdapter.ReadShapes(adapterFolder, task.PeftTaskType, source.Config.Names.Root);
        var head = task.HeadFromPeftAdapter(shapes, source.Config, Path.Combine(adapterFolder, PeftAdapter.WeightsFileName));
        var options = config.ToLoraOptions();
        var ready = ReadyModelBuilder.Build(source, head, task.CreateHead, new LoraMethod(options), LoadDevice.For(env),
            loadWeights: model => PeftAdapter.LoadWeights(model, options, task.PeftTaskType, adapterFolder));
        return new FineTunedModel(ready);
    }
}
