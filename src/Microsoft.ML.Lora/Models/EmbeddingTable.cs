using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// A lookup table [rows, dim], computing what <c>nn.Embedding</c> computes (row <c>i</c> for index <c>i</c>; no gradient to
/// the padding row), with its weight in a plain <see cref="Parameter"/> named <c>weight</c> as PyTorch names it.
/// </summary>
/// <remarks>
/// Why not TorchSharp's <c>Embedding</c>: in TorchSharp 0.107 it keeps its weight inside a native module that only
/// <c>Dispose</c> frees — the module's finalizer does nothing — so every model that was dropped rather than disposed kept
/// its word table (MiniLM's 30,522 × 384 floats: 45 MiB) for the life of the process. A Parameter's finalizer frees it, so a
/// forgotten model costs nothing once collected. Linear and LayerNorm are managed modules already.
/// </remarks>
internal sealed class EmbeddingTable : nn.Module<Tensor, Tensor>
{
    private readonly long? paddingIndex;
    private Parameter table;

    /// <summary>A table of <paramref name="rows"/> × <paramref name="dim"/>, initialised N(0, 1) as PyTorch does (the padding row zero).</summary>
    public EmbeddingTable(long rows, long dim, long? paddingIndex = null, Device? device = null) : base("Embedding")
    {
        if (rows < 1 || dim < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"An embedding table needs at least one row and column, got [{rows}, {dim}].");
        if (paddingIndex is { } p && (p < 0 || p >= rows))
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), p, $"The padding index must be a row of the [{rows}, {dim}] table.");
        this.paddingIndex = paddingIndex;
        using (no_grad())
        {
            table = new Parameter(empty(rows, dim, device: device));
            // On the meta device (a skeleton whose weights a shared base supplies) there is nothing to initialise.
            if (table.device_type != DeviceType.META)
            {
                ParameterInit.Normal(table, 0, 1);
                if (paddingIndex is { } pad) table[pad].zero_();
            }
        }
        register_parameter("weight", table);
    }

    /// <summary>The table [rows, dim]; setting it replaces the registered parameter (same shape expected by the caller).</summary>
    public Parameter weight
    {
        get => table;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            table = value;
            ConditionallyRegisterParameter("weight", value);
        }
    }

    /// <summary>Registered by hand under torch's name <c>weight</c>: TorchSharp would also register the field as <c>table</c>, and a
    /// replaced weight (a shared base's) would leave the old tensor registered under that name.</summary>
    protected override void RegisterComponents() { }

    /// <summary>Rows of the table for <paramref name="ids"/> (int64, any shape): the result is <c>ids.shape + [dim]</c>.</summary>
    public override Tensor forward(Tensor ids)
    {
        var shape = ids.shape.Append(table.shape[1]).ToArray();
        var rows = table.index_select(0, ids.reshape(-1)).view(shape);
        // nn.Embedding's padding_idx: the padding row gets no gradient (its value is still looked up).
        if (paddingIndex is { } pad && table.requires_grad && is_grad_enabled())
            rows = where(ids.eq(pad).unsqueeze(-1), rows.detach(), rows);
        return rows;
    }
}
