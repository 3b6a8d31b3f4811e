using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>A task model assembled by <see cref="ReadyModelBuilder"/>, in training form, with where it came from.</summary>
internal sealed record ReadyModel(TaskModel Model, EncoderSource Base, HeadSpec Head, FineTuningMethod Method, Device Device);

/// <summary>
/// The one builder of a ready model: base encoder + head spec + fine-tuning method + device + weights. <c>Fit</c> builds
/// with no weights (the head fresh, seeded), a .zip load with the tensors it stores, PEFT import with an adapter's tensors.
/// </summary>
internal static class ReadyModelBuilder
{
    /// <param name="source">The base encoder.</param>
    /// <param name="head">The head to build; a pooler the checkpoint lacks is initialised fresh and then trains (the returned spec says so).</param>
    /// <param name="createHead">The task's head factory.</param>
    /// <param name="method">The fine-tuning method, applied to the new model (adds its modules, sets what trains).</param>
    /// <param name="device">Where the model runs.</param>
    /// <param name="loadWeights">Copies trained weights into the model once the method is applied; null for a new model.</param>
    /// <param name="seed">Seeds libtorch before anything is initialised (Fit); null leaves the generator alone.</param>
    /// <param name="log">Receives what was initialised fresh and the trainable-parameter count.</param>
    /// <param name="precision">The number format the encoder computes in (frozen weights stored in it once the method has chosen what trains).</param>
    /// <param name="gradientCheckpointing">Recompute layer activations in the backward pass while training.</param>
    public static ReadyModel Build(EncoderSource source, HeadSpec head, Func<EncoderModel, HeadSpec, TaskModel> createHead, FineTuningMethod method,
        Device device, Action<TaskModel>? loadWeights = null, int? seed = null, Action<string>? log = null,
        Precision precision = Precision.Float32, bool gradientCheckpointing = false)
    {
        if (seed is { } s) manual_seed(s);
        var loaded = source.LoadEncoder(head.Pooler != PoolerUse.None);
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
        try
        {
            method.Apply(model);
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
        log?.Invoke($"{method.Name} on {source.Name}, {precision}{(gradientCheckpointing ? ", gradient checkpointing" : "")}: {TrainableParameterReport.Of(model)}");
        return new ReadyModel(model, source, head, method, device);
    }
}
