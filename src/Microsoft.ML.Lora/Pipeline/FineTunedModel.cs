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
internal sealed class FineTunedModel
{
    /// <summary>Puts <paramref name="ready"/> (trained, or loaded) into inference form.</summary>
    public FineTunedModel(ReadyModel ready)
    {
        Model = ready.Model;
        Tokenizer = ready.Base.Tokenizer;
        Method = ready.Method;
        Head = ready.Head;
        BaseModelName = ready.Base.Name;
        BaseIsEmbedded = ready.Base.IsEmbedded;
        MaxSequenceLength = ready.Base.MaxSequenceLength;
        Device = ready.Device;
        Parameters = TrainableParameterReport.Of(Model);
        Model.eval();
        Method.PrepareForInference(Model);
    }

    public TaskModel Model { get; }
    public HeadSpec Head { get; }
    public TextTokenizer Tokenizer { get; }
    public FineTuningMethod Method { get; }
    public string BaseModelName { get; }
    public bool BaseIsEmbedded { get; }
    public int MaxSequenceLength { get; }
    public Device Device { get; }
    public TrainableParameterReport Parameters { get; }

    /// <summary>The number format scoring computes in.</summary>
    public Precision Precision => Model.Encoder.Precision;

    /// <summary>Scores in <paramref name="precision"/> from now on (the frozen weights change type; merged LoRA weights follow).</summary>
    public void UsePrecision(Precision precision) => Model.Encoder.UsePrecision(precision);

    /// <summary>Logits of a padded batch, copied to managed memory: [B, labels] or [B, T, labels] flattened row-major.</summary>
    public float[] Logits(long[] ids, long[] mask, long[]? types, int batch, int length)
    {
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
