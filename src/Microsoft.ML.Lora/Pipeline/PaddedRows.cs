using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Rows of token ids padded to the longest one, row-major, as every model call takes them: ids (padding = the pad id),
/// attention mask (1 = token) and, when given, token types. Training batches and scoring batches of every task use it.
/// </summary>
internal sealed class PaddedRows
{
    private PaddedRows(long[] ids, long[] mask, long[]? typeIds, int rows, int length)
    {
        Ids = ids;
        Mask = mask;
        TypeIds = typeIds;
        Rows = rows;
        Length = length;
    }

    public long[] Ids { get; }
    public long[] Mask { get; }
    public long[]? TypeIds { get; }
    public int Rows { get; }
    public int Length { get; }

    /// <summary>Pads <paramref name="ids"/> (and <paramref name="typeIds"/>, one array per row of the same length, when not null).</summary>
    public static PaddedRows Pad(IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? typeIds, int padId)
    {
        int rows = ids.Count, length = rows == 0 ? 0 : ids.Max(r => r.Length);
        var padded = new long[rows * length];
        var mask = new long[rows * length];
        var types = typeIds is null ? null : new long[rows * length];
        Array.Fill(padded, padId);
        for (int r = 0; r < rows; r++)
        {
            var row = ids[r];
            for (int j = 0; j < row.Length; j++)
            {
                padded[r * length + j] = row[j];
                mask[r * length + j] = 1;
                if (types is not null) types[r * length + j] = typeIds![r][j];
            }
        }
        return new PaddedRows(padded, mask, types, rows, length);
    }

    /// <summary>Per-token values (labels, say) of the rows padded with <paramref name="padValue"/> to <see cref="Length"/>.</summary>
    public long[] PadValues(IReadOnlyList<int[]> values, long padValue)
    {
        var result = new long[Rows * Length];
        Array.Fill(result, padValue);
        for (int r = 0; r < Rows; r++)
            for (int j = 0; j < values[r].Length; j++) result[r * Length + j] = values[r][j];
        return result;
    }

    /// <summary>The ids, mask and types as [rows, length] tensors on <paramref name="device"/>.</summary>
    public (Tensor Ids, Tensor Mask, Tensor? TypeIds) ToTensors(Device device)
    {
        var shape = new long[] { Rows, Length };
        return (tensor(Ids, shape, device: device), tensor(Mask, shape, device: device),
            TypeIds is null ? null : tensor(TypeIds, shape, device: device));
    }
}
