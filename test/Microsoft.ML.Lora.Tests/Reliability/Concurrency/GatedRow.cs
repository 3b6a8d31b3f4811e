namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>
/// An example whose text, when first read, runs <see cref="OnFirstRead"/>: scoring reads the text, so a test can hold one
/// thread inside a prediction while others act, and make an interleaving happen every time instead of by chance.
/// </summary>
public sealed class GatedRow
{
    private string text = "";

    /// <summary>Runs once, on the thread that first reads <see cref="Sentence1"/> (not a column: not public).</summary>
    internal Action? OnFirstRead;

    /// <summary>When set, every read of the text throws an InvalidDataException with this message.</summary>
    internal string? Unreadable;

    public string Sentence1
    {
        get
        {
            Interlocked.Exchange(ref OnFirstRead, null)?.Invoke();
            return Unreadable is null ? text : throw new InvalidDataException(Unreadable);
        }
        set => text = value;
    }

    public static GatedRow Of(string text) => new() { Sentence1 = text };
}

/// <summary>The scores of a text classifier's prediction.</summary>
public sealed class ScoreOnly
{
    public float[] Score { get; set; } = [];
}
