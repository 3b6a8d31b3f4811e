namespace Microsoft.ML.Lora.Ner;

/// <summary>A tag split into its position prefix (<c>O</c>, <c>B</c>, <c>I</c>, <c>E</c>, <c>S</c>) and its entity type.</summary>
internal readonly record struct IobTag(char Prefix, string Type)
{
    /// <summary>The outside tag; its empty type never equals a real entity type, which is never empty.</summary>
    internal static readonly IobTag Outside = new('O', string.Empty);

    internal bool IsOutside => Prefix == 'O';

    /// <summary>
    /// Parses <c>O</c> or <c>P-TYPE</c> with a prefix the scheme allows (all of B, I, E, S when <paramref name="scheme"/> is null).
    /// The type is everything after the first hyphen, so <c>B-creative-work</c> has type <c>creative-work</c>.
    /// </summary>
    internal static bool TryParse(string? tag, TagScheme? scheme, out IobTag parsed)
    {
        parsed = Outside;
        if (tag == "O")
        {
            return true;
        }

        if (tag is null || tag.Length < 3 || tag[1] != '-' || !IsAllowedPrefix(tag[0], scheme))
        {
            return false;
        }

        parsed = new IobTag(tag[0], tag.Substring(2));
        return true;
    }

    /// <summary>Parses a sentence's tags, throwing an <see cref="ArgumentException"/> that names the first bad tag.</summary>
    /// <param name="tags">The tags of one sentence.</param>
    /// <param name="scheme">The scheme whose prefixes are allowed; null allows B, I, E and S.</param>
    /// <param name="sentenceIndex">The sentence's index for the message, or null when the caller has a single sentence.</param>
    /// <param name="paramName">The argument that held the tags.</param>
    internal static IobTag[] ParseAll(IReadOnlyList<string> tags, TagScheme? scheme, int? sentenceIndex, string paramName)
    {
        var parsed = new IobTag[tags.Count];
        for (int i = 0; i < parsed.Length; i++)
        {
            if (!TryParse(tags[i], scheme, out parsed[i]))
            {
                string where = sentenceIndex is int s ? $"token {i} of sentence {s}" : $"token {i}";
                throw new ArgumentException(
                    $"Tag {Quote(tags[i])} at {where} is not valid{SchemeSuffix(scheme)}: expected {Expected(scheme)}.",
                    paramName);
            }
        }

        return parsed;
    }

    /// <summary>What a valid tag looks like, for error messages.</summary>
    internal static string Expected(TagScheme? scheme) => scheme switch
    {
        TagScheme.Iob2 or TagScheme.Iob1 or TagScheme.Io => "'O', 'B-<type>' or 'I-<type>'",
        _ => "'O' or 'B-<type>', 'I-<type>', 'E-<type>', 'S-<type>'",
    };

    internal static string SchemeSuffix(TagScheme? scheme) => scheme is null ? string.Empty : $" in the {scheme} scheme";

    internal static string Quote(string? tag) => tag is null ? "(null)" : $"'{tag}'";

    private static bool IsAllowedPrefix(char prefix, TagScheme? scheme) => scheme switch
    {
        TagScheme.Iob2 or TagScheme.Iob1 or TagScheme.Io => prefix is 'B' or 'I',
        _ => prefix is 'B' or 'I' or 'E' or 'S',
    };
}
