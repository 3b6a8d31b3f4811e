using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// A lookup table computed as <c>torch.nn.Embedding</c> computes it (the padding row takes no gradient), held in managed code.
/// TorchSharp's native <c>Embedding</c> allocates a CPU table of its full size and keeps it for the module's life even when
/// built on the meta device or given its weight, so every model on a shared base would hold a private copy of the word
/// embeddings (47 MiB for MiniLM); this one allocates only on the default device and holds whatever weight it is given.
/// </summary>
internal sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly long? paddingIdx;
    private Parameter table;

    /// <param name="count">Rows (vocabulary size, positions, token types).</param>
    /// <param name="dim">Width of a row.</param>
    /// <param name="paddingIdx">The row that takes no gradient (the padding token), as <c>padding_idx</c>; null for none.</param>
    public TokenEmbedding(long count, long dim, long? paddingIdx = null) : base(nameof(TokenEmbedding))
    {
        this.paddingIdx = paddingIdx;
        table = new Parameter(empty(count, dim));   // on the default device: a meta-device skeleton allocates nothing
        if (table.device_type != DeviceType.META)
        {
            // torch.nn.Embedding's own init, drawn from the same generator, so that a seed gives the run it always gave.
            using var _ = no_grad();
            table.normal_();
            if (paddingIdx is { } pad) table[pad].zero_();
        }
        ConditionallyRegisterParameter(nameof(weight), table);
    }

    /// <summary>The table [count, dim]; setting it replaces the registered parameter (state_dict name <c>weight</c>).</summary>
#pragma warning disable IDE1006 // torch's name: the state_dict key and the Hugging Face tensor name
    public Parameter weight
#pragma warning restore IDE1006
    {
        get => table;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            table = value;
            ConditionallyRegisterParameter(nameof(weight), value);
        }
    }

    /// <summary>Registered by hand under torch's name <c>weight</c> (TorchSharp would register the field as <c>table</c>).</summary>
    protected override void RegisterComponents() { }

    /// <summary>The rows of <paramref name="ids"/>: shape ids.shape + [dim].</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var flat = ids.reshape(-1);
        var rows = table.index_select(0, flat);
        if (paddingIdx is { } pad && table.requires_grad && is_grad_enabled())
            rows = where(flat.eq(pad).unsqueeze(1), rows.detach(), rows);   // same values; no gradient to the padding row
        return rows.reshape(ids.shape.Append(table.shape[1]).ToArray()).MoveToOuterDisposeScope();
    }
}
