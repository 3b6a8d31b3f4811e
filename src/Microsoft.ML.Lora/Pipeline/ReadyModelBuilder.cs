using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>A task model assembled by <see cref="ReadyModelBuilder"/>, in training form, with where it came from.</summary>
internal sealed record ReadyModel(TaskModel Model, EncoderSource Base, HeadSpec Head, FineTuningMethod Method, Device Device)
{
    /// <summary>The model's hold on base weights it shares with other models of the process, or null when it has its own.</summary>
    public SharedEncoderWeights.Lease? SharedBase { get; init; }
}

/// <summary>
/// The one builder of a ready model: base encoder + head spec + fine-tuning method + device + weights. <c>Fit</c> builds
/// with no weights (the head fresh, seeded), a .zip load with the tensors it stores, PEFT import with an adapter's tensors.
/// Models built to score (.zip load, import) share the base's frozen weights with the other models of the process on the
/// same base (<see cref="SharedEncoderWeights"/>): what a model trains or loads gets its own copy first.
/// </summary>
internal static class ReadyModelBuilder
{
    /// <param name="source">The base encoder.</param>
    /// <param name="head">The head to build; a pooler the checkpoint lacks is initialised fresh and then trains (the returned spec says so).</param>
    /// <param name="createHead">The task's head factory.</param>
    /// <param name="method">The fine-tuning method, applied to the new model (adds its modules, sets what trains).</param>
    /// <param name="device">Where the model runs.</param>
    /// <param name="loadWeights">Copies trained weights into the model once the method is applied; null for a new model.</param>
    /// <param name="seed">Seeds the build's own generator (<see cref="ParameterInit"/>) from which every fresh weight is drawn (Fit); null
    /// leaves initialisation to libtorch's generator (loads and imports, whose weights are then overwritten).</param>
    /// <param name="log">Receives what was initialised fresh and the trainable-parameter count.</param>
    /// <param name="peftTaskType">The task's PEFT task type: whether its Hugging Face model is the bare encoder (module names
    /// as PEFT matches them); null = a task model with a head.</param>
    /// <param name="shareBase">Share the base's frozen weights with other models (models built to score). A precision other
    /// than float32 stores private copies of the frozen weights in that type: such a model shares nothing.</param>
    /// <param name="precision">The number format the encoder computes in (frozen weights stored in it once the method has chosen what trains).</param>
    /// <param name="gradientCheckpointing">What training recomputes in the backward pass.</param>
    public static ReadyModel Build(EncoderSource source, HeadSpec head, Func<EncoderModel, HeadSpec, TaskModel> createHead, FineTuningMethod method,
        Device device, Action<TaskModel>? loadWeights = null, int? seed = null, Action<string>? log = null, PeftTaskType? peftTaskType = null,
        bool shareBase = false, Precision precision = Precision.Float32, GradientCheckpointing gradientCheckpointing = GradientCheckpointing.None)
    {
        using var init = seed is { } s ? ParameterInit.Seeded(s) : null;
        var loaded = source.LoadEncoder(head.Pooler != PoolerUse.None, shareBase && precision == Precision.Float32 ? device : null);
        if (loaded.NewlyInitialized.Count > 0)
        {
            log?.Invoke($"{source.Name} has no {string.Join(", ", loaded.NewlyInitialized)}: initialised fresh and trained with the head.");
            if (head.Pooler == PoolerUse.Frozen) head = head with { Pooler = PoolerUse.Trained };
        }
        if (!loaded.Encoder.HasPooler && head.Pooler != PoolerUse.None) head = head with { Pooler = PoolerUse.None };   // RoBERTa, DistilBERT
        TaskModel model;
        try { model = createHead(loaded.Encoder, head); }
        catch
        {
            loaded.Encoder.Dispose();
            throw;
        }
        var shared = loaded.Shared;
        try
        {
            if (peftTaskType?.EncoderRelativeKeys == true) model.IsBareEncoder = true;
            method.Apply(model);
            if (shared is not null && !shared.Unshare(model)) shared = null;   // everything trains (full fine-tuning): nothing to share
            loadWeights?.Invoke(model);
            model.Encoder.UsePrecision(precision);   // after the method and the weights: only frozen weights change type
            model.Encoder.GradientCheckpointing = gradientCheckpointing;
            model.to(device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        log?.Invoke($"{method.Name} on {source.Name}, {precision}{(gradientCheckpointing == GradientCheckpointing.None ? "" : $", gradient checkpointing of {gradientCheckpointing.ToString().ToLowerInvariant()}")}: {TrainableParameterReport.Of(model)}");
        return new ReadyModel(model, source, head, method, device) { SharedBase = shared };
    }
}
