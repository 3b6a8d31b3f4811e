using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// A model ready to score from a complete Hugging Face task model folder — what <c>SaveMergedModel</c> writes, or any
/// fine-tuned <c>BertForSequenceClassification</c> / <c>DistilBertForTokenClassification</c> / ... saved with
/// <c>save_pretrained</c>: the encoder through <see cref="PretrainedModel.FromHuggingFaceFolder"/>, the head from the same
/// weights, the output names from <c>id2label</c>. The encoder is frozen (the method reads as head-only) and shared with other
/// models on the same folder. Every task face calls this from its <c>FromHuggingFaceModel</c>.
/// </summary>
internal static class HuggingFaceModelImport
{
    /// <param name="env">The host.</param>
    /// <param name="options">The task's options (maximum length, device; the base model is <paramref name="folder"/>).</param>
    /// <param name="task">A fresh task made from the options.</param>
    /// <param name="folder">The Hugging Face folder.</param>
    /// <param name="component">The component name in ML.NET's log.</param>
    /// <exception cref="InvalidDataException">The folder holds another kind of model, or its head does not fit (names the file and the tensor).</exception>
    public static FineTunedModel Load(IHostEnvironment env, FineTuningOptions options, FineTuningTask task, string folder, string component)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = PretrainedModel.FromHuggingFaceFolder(folder);
        using var ch = env.Register(component).Start("Hugging Face model import");
        string configPath = Path.Combine(model.Name, "config.json");
        if (HuggingFaceModelConfig.Read(configPath) is not var (architectures, labels))
            throw new FileNotFoundException($"The Hugging Face folder {model.Name} has no config.json.", configPath);
        var source = EncoderSource.FromPretrained(model, options.MaxSequenceLength, ch.Info);
        string expected = task.PeftTaskType.Architecture(source.Config);
        if (architectures is null || !architectures.Any(a => a.EndsWith(task.PeftTaskType.ArchitectureSuffix, StringComparison.Ordinal)))
            throw new InvalidDataException($"{configPath}: \"architectures\" is [{string.Join(", ", architectures ?? Array.Empty<string>())}]; expected {expected} " +
                "(a fine-tuned model of this task; a pretrained base is fine-tuned with Fit, or given a PEFT adapter with FromPeftAdapter).");
        var (weightsFile, fileShapes) = HuggingFaceCheckpoint.ReadShapes(model.Name);
        string root = source.Config.Names.Root;
        var shapes = fileShapes.ToDictionary(kv => TaskName(kv.Key, root, task), kv => kv.Value, StringComparer.Ordinal);
        var head = task.HeadFromPeftAdapter(shapes, source.Config, weightsFile);
        if (HeadPoolingFile.Read(model.Name) == TokenPooling.Mean) head = HeadSpec.MeanPooled(head.Outputs);   // written by SaveMergedModel
        task.CompleteOutputNames(head, labels, configPath);
        var ready = PeftImport.WithSource(weightsFile, () => ReadyModelBuilder.Build(source, head, task.CreateHead, FineTuningMethod.HeadOnly,
            LoadDevice.For(env, options, ch.Info), loadWeights: m => CopyHead(m, model.Name, task), log: ch.Info,
            peftTaskType: task.PeftTaskType, shareBase: true));
        ch.Info($"{expected} loaded from {model.Name}.");
        return new FineTunedModel(ready);
    }

    // A bare-encoder checkpoint (BertModel) names its tensors without the encoder's root.
    private static string TaskName(string key, string root, FineTuningTask task)
        => task.PeftTaskType.EncoderRelativeKeys && !key.StartsWith(root + ".", StringComparison.Ordinal) ? root + "." + key : key;

    /// <summary>Copies the tensors outside the encoder (the head) from the folder's weights; each must be there with its shape.</summary>
    private static void CopyHead(TaskModel model, string folder, FineTuningTask task)
    {
        string root = model.Encoder.Config.Names.Root + ".";
        var headTensors = model.state_dict().Where(kv => !kv.Key.StartsWith(root, StringComparison.Ordinal)).ToList();
        if (headTensors.Count == 0) return;
        // Only the head's tensors are read here (the encoder loaded its own from the same files).
        using var weights = HuggingFaceCheckpoint.Open(folder);
        foreach (var (name, target) in headTensors)
        {
            string key = TaskName(name, model.Encoder.Config.Names.Root, task);
            if (!weights.Tensors.TryGetValue(key, out var t))
                throw new InvalidDataException($"{weights.File}: tensor '{key}' [{string.Join(", ", target.shape)}] of the {task.PeftTaskType.Architecture(model.Encoder.Config)} head is missing.");
            if (!t.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{t.File}: tensor '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", target.shape)}].");
        }
        using var _ = no_grad();
        foreach (var (name, target) in headTensors) weights.Tensors[TaskName(name, model.Encoder.Config.Names.Root, task)].CopyTo(target);
    }
}
