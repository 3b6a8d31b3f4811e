using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Methods;

/// <summary>
/// The trainable key/value prefixes of prefix tuning, laid out as PEFT's <c>PrefixEncoder</c>: a table
/// [length, layers·2·H] (per position: layer 0 key, layer 0 value, layer 1 key, ...; each H split into heads), either an
/// embedding of that shape or, reparameterised (Li &amp; Liang 2021, PEFT's <c>prefix_projection</c>), an embedding
/// [length, H] → Linear(H, hidden) → tanh → Linear(hidden, layers·2·H). The encoder asks for each layer's slice through
/// <see cref="IAttentionPrefix"/>.
/// </summary>
/// <remarks>
/// The MLP is a training device: <see cref="CacheForInference"/> computes the table once. While training, the table is
/// computed when layer 0 asks for its prefix (every forward pass starts there) and reused by the layers above, so the MLP
/// runs once per forward pass and its gradient collects the contributions of every layer.
/// </remarks>
internal sealed class PrefixEncoder : nn.Module, IAttentionPrefix
{
    private readonly EmbeddingTable embedding;
    private readonly ModuleList<nn.Module<Tensor, Tensor>>? transform;   // Linear, Tanh, Linear: PEFT's "transform.0" / "transform.2"
    private readonly int layers, heads, hidden;
    private Tensor? table;   // [layers·2, heads, length, head_dim] of the current forward pass, or the cached inference one
    private bool cached;

    public PrefixEncoder(EncoderConfig config, int length, bool reparameterize, int projectionSize, Device device) : base("prefix_encoder")
    {
        (layers, heads, hidden, Length) = (config.NumLayers, config.NumHeads, config.HiddenSize, length);
        long width = (long)layers * 2 * hidden;
        // PyTorch's default inits (embedding N(0, 1), Linear Kaiming-uniform), as PEFT leaves them, from the build's generator.
        if (reparameterize)
        {
            embedding = new EmbeddingTable(length, hidden, device: device);
            var (first, last) = (nn.Linear(hidden, projectionSize, device: device), nn.Linear(projectionSize, width, device: device));
            ParameterInit.LinearDefault(first);
            ParameterInit.LinearDefault(last);
            transform = nn.ModuleList<nn.Module<Tensor, Tensor>>(first, nn.Tanh(), last);
        }
        else embedding = new EmbeddingTable(length, width, device: device);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public int Length { get; }

    /// <inheritdoc/>
    public (Tensor Key, Tensor Value) KeysAndValues(int layer, long batchSize)
    {
        if (layer < 0 || layer >= layers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The prefix has {layers} layers.");
        // A layer recomputed by gradient checkpointing needs a table with a graph of its own (the forward pass's had none).
        if (!cached && (layer == 0 || table is null || table.IsInvalid || GradientCheckpoint.IsRecomputing)) table = Table();
        var t = table!;
        Tensor Expand(Tensor kv) => kv.unsqueeze(0).expand(batchSize, -1, -1, -1);
        return (Expand(t[2 * layer]), Expand(t[2 * layer + 1]));
    }

    /// <summary>Computes the table once for inference (no gradient); forward passes then only slice it.</summary>
    public void CacheForInference()
    {
        ClearCache();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        table = Table().contiguous().MoveToOuterDisposeScope();
        cached = true;
    }

    /// <summary>Back to computing the table in every forward pass (needed for training).</summary>
    public void ClearCache()
    {
        if (cached) table?.Dispose();
        table = null;
        cached = false;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) ClearCache();
        base.Dispose(disposing);
    }

    private Tensor Table()
    {
        var flat = transform is null ? embedding.weight : transform.Aggregate((Tensor)embedding.weight, (h, layer) => layer.forward(h));   // [length, layers·2·H]
        return flat.view(Length, layers * 2, heads, hidden / heads).permute(1, 2, 0, 3);
    }
}
