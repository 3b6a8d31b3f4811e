namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>A question-answering row as ML.NET sees it: the estimator's default columns (those of <see cref="SquadQuestion"/>).</summary>
public sealed class QaRow
{
    public string Context { get; set; } = "";
    public string Question { get; set; } = "";
    public string[] Answers { get; set; } = Array.Empty<string>();
    public int[] AnswerStarts { get; set; } = Array.Empty<int>();
}

/// <summary>Only what scoring reads.</summary>
public sealed class QaInput
{
    public string Context { get; set; } = "";
    public string Question { get; set; } = "";
}

/// <summary>What the transformer adds.</summary>
public sealed class QaOutput
{
    public string Answer { get; set; } = "";
    public int AnswerStart { get; set; }
    public float Score { get; set; }
}

/// <summary>
/// Toy extractive QA over the tiny vocabulary: a context of filler words holds one company (apple, google or the two-word
/// "stock market") and people and places as distractors; the question "company ?" asks for the company.
/// </summary>
internal static class QaToyData
{
    private static readonly string[] Fillers = { "the", "is", "was", "very", "today", "news", "said", "in", "at", "up", "down", "flat", "good", "bad", "profit", "loss", "shares" };
    private static readonly string[] Distractors = { "john", "mary", "london", "paris" };
    public static readonly string[] Companies = { "apple", "google", "stock market" };

    /// <summary>A context of <paramref name="length"/> filler words (a fifth of them distractors, unless <paramref name="distractors"/> is false) with <paramref name="company"/> inserted at word <paramref name="position"/>.</summary>
    public static QaRow Row(string company, int position, int length, Random rng, bool distractors = true)
    {
        var words = Enumerable.Range(0, length)
            .Select(_ => distractors && rng.Next(5) == 0 ? Distractors[rng.Next(Distractors.Length)] : Fillers[rng.Next(Fillers.Length)]).ToList();
        words.Insert(Math.Min(position, words.Count), company);
        string context = string.Join(' ', words);
        int start = string.Join(' ', words.Take(Math.Min(position, length))).Length + (position == 0 ? 0 : 1);
        return new QaRow { Context = context, Question = "company ?", Answers = new[] { company }, AnswerStarts = new[] { start } };
    }

    /// <summary><paramref name="count"/> rows of 4 to 11 words; every <paramref name="longEvery"/>-th row is 40 words long (several windows).</summary>
    public static QaRow[] Rows(int count = 48, int seed = 1, int longEvery = 8)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            int length = i % longEvery == longEvery - 1 ? 40 : 4 + rng.Next(8);
            return Row(Companies[i % Companies.Length], rng.Next(length + 1), length, rng);
        }).ToArray();
    }
}
