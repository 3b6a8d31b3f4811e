namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Hugging Face's 'longest_first' truncation, as the tokenizers library (the engine of AutoTokenizer and of
/// tokenizer.json) does it: cut the tail of a single text; for a pair, shorten the longer text until both are
/// equally long, then cut both, the first text keeping half of the budget (rounded down).
/// </summary>
/// <remarks>
/// The slow Python tokenizers round the other way when the pair is the longer text and the budget is odd; the
/// Rust behaviour is followed because it is the default one.
/// </remarks>
internal static class LongestFirstTruncation
{
    /// <summary>How many tokens of each text to keep so that together they fit <paramref name="budget"/>.</summary>
    /// <param name="firstLength">Sub-token count of the text.</param>
    /// <param name="secondLength">Sub-token count of the pair; 0 for a single text.</param>
    /// <param name="hasPair">Whether there is a pair.</param>
    /// <param name="budget">Sub-tokens that fit, special tokens already subtracted.</param>
    public static (int KeepFirst, int KeepSecond) Plan(int firstLength, int secondLength, bool hasPair, int budget)
    {
        if (firstLength + secondLength <= budget)
        {
            return (firstLength, secondLength);
        }

        if (!hasPair)
        {
            return (budget, 0);
        }

        bool swapped = firstLength > secondLength;
        int shorter = swapped ? secondLength : firstLength;
        int longer = shorter > budget ? shorter : Math.Max(shorter, budget - shorter);
        if (shorter + longer > budget)
        {
            shorter = budget / 2;
            longer = shorter + budget % 2;
        }

        (int keepFirst, int keepSecond) = swapped ? (longer, shorter) : (shorter, longer);
        return (Math.Min(firstLength, keepFirst), Math.Min(secondLength, keepSecond));
    }
}
