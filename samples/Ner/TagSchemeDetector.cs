using Microsoft.ML.Lora;

namespace Ner;

/// <summary>Tells a CoNLL file's tag scheme from its tags, so that a training file and a test file may each use their own.</summary>
public static class TagSchemeDetector
{
    /// <summary>
    /// BIOES when any <c>S-</c> or <c>E-</c> tag occurs; IO when no <c>B-</c> tag does (IOB1 data without adjacent same-type
    /// entities reads the same); IOB1 when an entity starts with <c>I-</c> (at the start of a sentence, after <c>O</c> or after
    /// another type); IOB2 otherwise.
    /// </summary>
    public static TagScheme Detect(IEnumerable<IReadOnlyList<string>> sentences)
    {
        bool anyBegin = false, entityStartsWithInside = false;
        foreach (var tags in sentences)
        {
            string previous = "O";
            foreach (var tag in tags)
            {
                if (tag.StartsWith("S-", StringComparison.Ordinal) || tag.StartsWith("E-", StringComparison.Ordinal)) return TagScheme.Bioes;
                if (tag.StartsWith("B-", StringComparison.Ordinal)) anyBegin = true;
                else if (tag.StartsWith("I-", StringComparison.Ordinal) && (previous == "O" || previous[2..] != tag[2..])) entityStartsWithInside = true;
                previous = tag.Length > 2 && tag[1] == '-' ? tag : "O";
            }
        }
        return !anyBegin ? TagScheme.Io : entityStartsWithInside ? TagScheme.Iob1 : TagScheme.Iob2;
    }
}
