namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// A batch of encoded texts, padded to its longest row, as row-major <c>[BatchSize, SequenceLength]</c> arrays
/// ready to become int64 tensors.
/// </summary>
internal sealed class EncodedBatch
{
    internal EncodedBatch(
        int batchSize, int sequenceLength, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int[] lengths,
        int truncatedRowCount, int droppedTokenCount)
    {
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        Lengths = lengths;
        TruncatedRowCount = truncatedRowCount;
        DroppedTokenCount = droppedTokenCount;
    }

    /// <summary>Number of rows.</summary>
    public int BatchSize { get; }

    /// <summary>Length of every row: the longest row's token count.</summary>
    public int SequenceLength { get; }

    /// <summary>Token ids, <c>[BatchSize * SequenceLength]</c>, padding id after each row's last token.</summary>
    public long[] InputIds { get; }

    /// <summary>1 for real tokens, 0 for padding, <c>[BatchSize * SequenceLength]</c>.</summary>
    public long[] AttentionMask { get; }

    /// <summary>Segment ids (0 first text, 1 pair; 0 for padding), <c>[BatchSize * SequenceLength]</c>.</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>Each row's token count before padding, special tokens included.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>How many rows lost tokens to the maximum length (for the caller to report).</summary>
    public int TruncatedRowCount { get; }

    /// <summary>How many sub-tokens all rows together lost to the maximum length.</summary>
    public int DroppedTokenCount { get; }
}
