using Microsoft.ML.Lora.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// The tensors and modules of a task model by their Hugging Face names (<c>bert.encoder.layer.0.attention.self.query</c>),
/// as <c>state_dict()</c> and <c>named_modules()</c> give them: the exporter reads the model the way checkpoints and PEFT
/// adapters address it, never through private fields.
/// </summary>
internal sealed class ModelWeights
{
    private readonly Dictionary<string, Tensor> tensors;
    private readonly Dictionary<string, nn.Module> modules;

    public ModelWeights(TaskModel model)
    {
        Model = model;
        tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        modules = model.named_modules().Where(m => m.name.Length > 0).ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
    }

    public TaskModel Model { get; }

    public EncoderConfig Config => Model.Encoder.Config;

    /// <summary>The encoder's root module name: "bert", "roberta" or "distilbert".</summary>
    public string Root => Config.Names.Root;

    /// <summary>The tensor <paramref name="name"/> as float32 values, checked against <paramref name="shape"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no such tensor, or it has another shape.</exception>
    public float[] Values(string name, params long[] shape) => OnnxTensors.Values(Tensor(name, shape));

    /// <summary>The tensor <paramref name="name"/>, checked against <paramref name="shape"/>.</summary>
    public Tensor Tensor(string name, params long[] shape)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw new InvalidOperationException($"ONNX export: the {Model.GetType().Name} has no tensor '{name}'.");
        CheckShape(name, t, shape);
        return t;
    }

    /// <summary>The module <paramref name="name"/>.</summary>
    public nn.Module Module(string name) => modules.TryGetValue(name, out var m) ? m
        : throw new InvalidOperationException($"ONNX export: the {Model.GetType().Name} has no module '{name}'.");

    public static void CheckShape(string name, Tensor t, long[] shape)
    {
        if (!t.shape.SequenceEqual(shape))
            throw new InvalidOperationException(
                $"ONNX export: tensor '{name}' has shape [{string.Join(", ", t.shape)}]; expected [{string.Join(", ", shape)}].");
    }
}
