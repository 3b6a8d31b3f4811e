using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// A trained task model ready to score: weights in inference form (LoRA merged), tokenizer, method, head and the base it
/// came from. Shared by the transformers of every task; scoring from several threads at once is safe (inference mode is
/// per thread and nothing here changes after construction).
/// </summary>
/// <remarks>
/// Owned by the transformers that score with it (a calibrated copy shares its original's): each holds one reference
/// (<see cref="Retain"/>), and the native weights are freed when the last one lets go (<see cref="Release"/>), after the calls
/// still running on other threads have finished. A call after that throws <see cref="ObjectDisposedException"/> instead of
/// reading freed memory. A model nobody releases is freed by the garbage collector (every tensor has a finalizer).
/// </remarks>
internal sealed class FineTunedModel
{
    private readonly object gate = new();
    private int owners, calls;
    private bool released;

    /// <summary>Puts <paramref name="ready"/> (trained, or loaded) into inference form.</summary>
    public FineTunedModel(ReadyModel ready)
    {
        Model = ready.Model;
        Tokenizer = ready.Base.Tokenizer;
        Method = ready.Method;
        Head = ready.Head;
        BaseModelName = ready.Base.Name;
        BaseModelId = ready.Base.HuggingFaceId;
        SharedBase = ready.SharedBase;
        BaseIsEmbedded = ready.Base.IsEmbedded;
        MaxSequenceLength = ready.Base.MaxSequenceLength;
        Device = ready.Device;
        Parameters = TrainableParameterReport.Of(Model);
        Model.eval();
        Method.PrepareForInference(Model, baseIsShared: SharedBase is not null);
    }

    public TaskModel Model { get; }
    public HeadSpec Head { get; }
    public TextTokenizer Tokenizer { get; }
    public FineTuningMethod Method { get; }
    public string BaseModelName { get; }
    /// <summary>The base's Hugging Face id (PEFT's <c>base_model_name_or_path</c>).</summary>
    public string BaseModelId { get; }
    /// <summary>Base weights shared with other models of the process (held so that they stay shared), or null.</summary>
    public Checkpoints.SharedEncoderWeights.Lease? SharedBase { get; }
    public bool BaseIsEmbedded { get; }
    public int MaxSequenceLength { get; }
    public Device Device { get; }
    public TrainableParameterReport Parameters { get; }

    /// <summary>The number format scoring computes in.</summary>
    public Precision Precision => Model.Encoder.Precision;

    /// <summary>Scores in <paramref name="precision"/> from now on (the frozen weights change type; merged LoRA weights follow).</summary>
    public void UsePrecision(Precision precision) => Model.Encoder.UsePrecision(precision);
    /// <summary>Adds an owner (a transformer); throws when the weights are already freed.</summary>
    public void Retain()
    {
        lock (gate)
        {
            ThrowIfReleased();
            owners++;
        }
    }

    /// <summary>
    /// Drops an owner; the last one frees the native weights once the calls in flight have returned. Calls that start
    /// afterwards throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Release()
    {
        lock (gate)
        {
            if (released || --owners > 0) return;
            released = true;
            while (calls > 0) Monitor.Wait(gate);
        }
        Model.Dispose();
    }

    /// <summary>
    /// Marks a call that reads the weights (scoring, saving, exporting): the weights are not freed until it is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public InUse Use()
    {
        lock (gate)
        {
            ThrowIfReleased();
            calls++;
        }
        return new InUse(this);
    }

    private void EndUse()
    {
        lock (gate)
            if (--calls == 0) Monitor.PulseAll(gate);
    }

    private void ThrowIfReleased()
    {
        if (released) throw Disposed();
    }

    /// <summary>What every use of a disposed fine-tuned model throws.</summary>
    public static ObjectDisposedException Disposed() => new(nameof(FineTunedTransformer),
        "This fine-tuned model was disposed: its native weights are freed. Load the .zip again (mlContext.Model.Load) to score with it.");

    /// <summary>A call holding the weights (see <see cref="Use"/>).</summary>
    public readonly struct InUse : IDisposable
    {
        private readonly FineTunedModel model;

        internal InUse(FineTunedModel model) => this.model = model;

        public void Dispose() => model?.EndUse();
    }

    /// <summary>Logits of a padded batch, copied to managed memory: [B, labels] or [B, T, labels] flattened row-major.</summary>
    public float[] Logits(long[] ids, long[] mask, long[]? types, int batch, int length)
    {
        using var use = Use();
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var shape = new long[] { batch, length };
        var logits = Model.forward(tensor(ids, shape, device: Device), tensor(mask, shape, device: Device),
            types is null ? null : tensor(types, shape, device: Device));
        return logits.to(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    /// <summary>
    /// The tensors a .zip must carry: only the trainable ones when the base ships in the package, else all; always float32
    /// (frozen weights kept in bfloat16 are widened), so the zip loads in either precision. Copies are made in the caller's
    /// dispose scope.
    /// </summary>
    public Dictionary<string, Tensor> TensorsToSave()
    {
        var trainable = Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
        return Model.state_dict()
            .Where(kv => !BaseIsEmbedded || trainable.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value.dtype == ScalarType.BFloat16 ? kv.Value.to(ScalarType.Float32) : kv.Value);
    }
}
