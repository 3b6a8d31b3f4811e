namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// A text as sub-token ids, without special tokens, with each sub-token's range in the original text (Hugging Face's
/// <c>return_offsets_mapping</c>): sub-token <c>i</c> stands for <c>Text[Starts[i]..Ends[i]]</c>, UTF-16 indices, end
/// exclusive. Ranges are in text order and do not overlap; the pieces of one word split it (<c>"playing"</c> →
/// <c>play</c> [0, 4), <c>##ing</c> [4, 7)); a stripped accent or a removed control character belongs to the piece before it.
/// </summary>
internal sealed class OffsetEncodedText
{
    internal OffsetEncodedText(string text, int[] ids, int[] starts, int[] ends)
    {
        Text = text;
        Ids = ids;
        Starts = starts;
        Ends = ends;
    }

    /// <summary>The original text.</summary>
    public string Text { get; }

    /// <summary>The sub-token ids.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>For each sub-token, where its original text starts.</summary>
    public IReadOnlyList<int> Starts { get; }

    /// <summary>For each sub-token, where its original text ends (exclusive).</summary>
    public IReadOnlyList<int> Ends { get; }

    /// <summary>Number of sub-tokens.</summary>
    public int Count => Ids.Count;

    /// <summary>The original text of sub-tokens <paramref name="first"/> to <paramref name="last"/> (inclusive), with what lies between them.</summary>
    public string Substring(int first, int last) => Text[Starts[first]..Ends[last]];
}
