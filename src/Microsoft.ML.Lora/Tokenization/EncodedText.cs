namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// One text (or text pair) as model input: <c>[CLS] text [SEP]</c> or <c>[CLS] text [SEP] pair [SEP]</c>.
/// </summary>
internal sealed class EncodedText
{
    internal EncodedText(int[] inputIds, int[] tokenTypeIds, int droppedTokenCount)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        DroppedTokenCount = droppedTokenCount;
    }

    /// <summary>The token ids, special tokens included.</summary>
    public IReadOnlyList<int> InputIds { get; }

    /// <summary>0 for [CLS], the first text and its [SEP]; 1 for the pair and the final [SEP].</summary>
    public IReadOnlyList<int> TokenTypeIds { get; }

    /// <summary>Number of tokens, special tokens included.</summary>
    public int Length => InputIds.Count;

    /// <summary>Whether tokens were cut off to fit the maximum length.</summary>
    public bool Truncated => DroppedTokenCount > 0;

    /// <summary>How many sub-tokens of the text and pair were cut off to fit the maximum length.</summary>
    public int DroppedTokenCount { get; }
}
