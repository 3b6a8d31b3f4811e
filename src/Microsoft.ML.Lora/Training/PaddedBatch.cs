namespace Microsoft.ML.Lora.Training;

/// <summary>Token id rows padded to the longest row: the layout the encoder takes ([rows, length], row-major).</summary>
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
}
