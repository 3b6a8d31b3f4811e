namespace Microsoft.ML.Lora.Training;

/// <summary>
/// Batches of similar length, to cut padding: shuffle, sort pools of 50 batches by length, cut into batches, shuffle the
/// batches. Randomness comes only from the seed and the epoch, so a resumed run sees exactly the same batches.
/// </summary>
internal static class LengthBucketing
{
    private const int PoolBatches = 50;

    public static List<int[]> TrainingBatches(IReadOnlyList<int> lengths, int batchSize, int seed, int epoch)
    {
        // Not HashCode.Combine: it is randomised per process, and a run resumed in another process must see the same batches.
        var rng = new Random(unchecked(seed * 1_000_003 + epoch * 7_919 + 0x5eed));
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        rng.Shuffle(order);
        var batches = new List<int[]>();
        int pool = batchSize * PoolBatches;
        for (int start = 0; start < order.Length; start += pool)
        {
            var chunk = order.Skip(start).Take(pool).OrderByDescending(i => lengths[i]).ToArray();
            for (int b = 0; b < chunk.Length; b += batchSize) batches.Add(chunk[b..Math.Min(b + batchSize, chunk.Length)]);
        }
        var shuffled = batches.ToArray();
        rng.Shuffle(shuffled);
        return shuffled.ToList();
    }

    /// <summary>Scoring batches: sorted by length (stable), so each batch pads little; callers restore the original order.</summary>
    public static List<int[]> ScoringBatches(IReadOnlyList<int> lengths, int batchSize)
    {
        var order = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray();
        var batches = new List<int[]>();
        for (int b = 0; b < order.Length; b += batchSize) batches.Add(order[b..Math.Min(b + batchSize, order.Length)]);
        return batches;
    }
}
