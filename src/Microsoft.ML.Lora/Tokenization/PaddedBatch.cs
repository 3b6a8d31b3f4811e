namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Token id rows padded to the longest row: the layout the encoder takes ([rows, length], row-major). The one padding of
/// the library: training batches, scoring batches and <see cref="TextTokenizer.EncodeBatch"/> all pad through it.
/// </summary>
internal sealed class PaddedBatch
{
    private PaddedBatch(long[] ids, long[] mask, long[]? types, int rows, int length)
    {
        InputIds = ids;
        AttentionMask = mask;
        TokenTypeIds = types;
        Rows = rows;
        Length = length;
    }

    public long[] InputIds { get; }
    public long[] AttentionMask { get; }
    public long[]? TokenTypeIds { get; }
    public int Rows { get; }
    public int Length { get; }

    /// <summary>Pads <paramref name="ids"/> with <paramref name="padId"/>; token types only when <paramref name="types"/> is given.</summary>
    public static PaddedBatch Create(IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? types, int padId)
    {
        int rows = ids.Count, length = 0;
        foreach (var r in ids) length = Math.Max(length, r.Length);
        var flat = new long[rows * length];
        var mask = new long[rows * length];
        var tt = types is null ? null : new long[rows * length];
        Array.Fill(flat, padId);
        for (int i = 0; i < rows; i++)
        {
            var row = ids[i];
            int o = i * length;
            for (int j = 0; j < row.Length; j++)
            {
                flat[o + j] = row[j];
                mask[o + j] = 1;
            }
            if (tt is not null) for (int j = 0; j < row.Length; j++) tt[o + j] = types![i][j];
        }
        return new PaddedBatch(flat, mask, tt, rows, length);
    }

    /// <summary>Per-token values of the rows (labels, say) padded with <paramref name="padValue"/> to <see cref="Length"/>.</summary>
    public long[] PadValues(IReadOnlyList<int[]> values, long padValue)
    {
        var result = new long[Rows * Length];
        Array.Fill(result, padValue);
        for (int r = 0; r < Rows; r++)
            for (int j = 0; j < values[r].Length; j++) result[r * Length + j] = values[r][j];
        return result;
    }
}
