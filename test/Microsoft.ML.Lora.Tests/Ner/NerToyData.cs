namespace Microsoft.ML.Lora.Tests.Ner;

/// <summary>A sentence and its tags as an ML.NET row: a String sentence and a String vector of tags.</summary>
public sealed class NerRow
{
    public string Sentence { get; set; } = "";
    public string[] Label { get; set; } = Array.Empty<string>();
}

/// <summary>The same as words: a String vector of tokens.</summary>
public sealed class NerTokenRow
{
    public string[] Tokens { get; set; } = Array.Empty<string>();
    public string[] Label { get; set; } = Array.Empty<string>();
}

/// <summary>Toy NER over the tiny vocabulary: people, places and companies in templates; the word decides the type.</summary>
internal static class NerToyData
{
    private static readonly string[][] People = { new[] { "john" }, new[] { "mary" }, new[] { "johns" } };
    private static readonly string[][] Places = { new[] { "london" }, new[] { "paris" } };
    private static readonly string[][] Companies = { new[] { "apple" }, new[] { "google" }, new[] { "stock", "market" } };

    public static NerRow[] Sentences(int count = 30)
    {
        var templates = new[]
        {
            "{PER} visited {LOC} today",
            "{PER} met {PER} at {ORG}",
            "{ORG} said profit was up in {LOC}",
            "the company {ORG} is very good",
            "{PER} said {ORG} shares was down .",
        };
        var rows = new List<NerRow>();
        for (int i = 0; rows.Count < count; i++)
        {
            var words = new List<string>();
            var tags = new List<string>();
            int slot = 0;
            foreach (var part in templates[i % templates.Length].Split(' '))
            {
                var (type, fillers) = part switch
                {
                    "{PER}" => ("PER", People),
                    "{LOC}" => ("LOC", Places),
                    "{ORG}" => ("ORG", Companies),
                    _ => ("", Array.Empty<string[]>()),
                };
                if (type == "")
                {
                    words.Add(part);
                    tags.Add("O");
                    continue;
                }
                var entity = fillers[(i / templates.Length + slot++ * 2 + i) % fillers.Length];
                for (int w = 0; w < entity.Length; w++)
                {
                    words.Add(entity[w]);
                    tags.Add((w == 0 ? "B-" : "I-") + type);
                }
            }
            rows.Add(new NerRow { Sentence = string.Join(' ', words), Label = tags.ToArray() });
        }
        return rows.ToArray();
    }

    public static NerTokenRow[] AsTokens(IEnumerable<NerRow> rows)
        => rows.Select(r => new NerTokenRow { Tokens = r.Sentence.Split(' '), Label = r.Label }).ToArray();
}
