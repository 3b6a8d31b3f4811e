using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>
/// The README's "Question answering" snippet, run as written on the embedded MiniLM (the integration test on real weights):
/// train.json and dev.json are small slices of the shared SQuAD v1.1 subsets, so it runs in well under a minute on 2 cores.
/// The region between the markers is compared with the README.
/// </summary>
public sealed class ReadmeQuestionAnsweringTests : IDisposable
{
    private const string Begin = "// README question answering: begin", End = "// README question answering: end";
    private readonly TempFolder temp = new();
    private readonly string previousDirectory = Environment.CurrentDirectory;

    public ReadmeQuestionAnsweringTests() => Environment.CurrentDirectory = temp.Path;   // the snippet reads train.json and dev.json here

    public void Dispose()
    {
        Environment.CurrentDirectory = previousDirectory;
        temp.Dispose();
    }

    /// <summary>The first <paramref name="questions"/> questions of a SQuAD file, written back as SQuAD JSON.</summary>
    private static void Slice(string source, string target, int skip, int questions)
    {
        var rows = SquadReader.Read(source).Skip(skip).Take(questions);
        var data = rows.GroupBy(q => q.Title).Select(a => new
        {
            title = a.Key,
            paragraphs = a.GroupBy(q => q.Context).Select(p => new
            {
                context = p.Key,
                qas = p.Select(q => new { id = q.Id, question = q.Question, answers = q.Answers.Zip(q.AnswerStarts, (t, s) => new { text = t, answer_start = s }) }),
            }),
        });
        File.WriteAllText(target, JsonSerializer.Serialize(new { version = "1.1", data }));
    }

    [Fact]
    public void SnippetTrainsOnMiniLmEvaluatesAndAnswersWithExactSpans()
    {
        Slice(TestData.PathOf("squad11", "train-subset-44articles.json"), "train.json", skip: 0, questions: 48);
        Slice(TestData.PathOf("squad11", "dev-v1.1-halfA-24articles.json"), "dev.json", skip: 0, questions: 24);

        // README question answering: begin
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SquadReader.Read("train.json").Take(3000));   // Context, Question, Answers, AnswerStarts
        var dev = ml.Data.LoadFromEnumerable(SquadReader.Read("dev.json"));
        var qa = ml.Transforms.LoraFineTune(new LoraQuestionAnsweringOptions
        {
            // windows of 256 tokens (MiniLM's default) sharing 128 context tokens (DocumentStride); LoRA on every linear layer
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = 16, Alpha = 32, TargetAllLinear = true }),
            Epochs = 2, BatchSize = 16, LearningRate = 2e-3,
        }).Fit(train);
        var scored = qa.Transform(dev);   // + Answer (an exact substring of Context), AnswerStart, Score
        QuestionAnsweringMetrics metrics = ml.MulticlassClassification.EvaluateQuestionAnswering(scored);   // SQuAD v1.1 EM / F1 against Answers
        string context = "Contoso's fiscal 2024 revenue rose 12% to $4.2 billion, driven by cloud services, while its operating margin narrowed to 18.5%.";
        IReadOnlyList<AnswerSpan> answers = qa.PredictAnswers(context, "How much was Contoso's revenue?", count: 3);   // Text, Start, Score
        // README question answering: end

        var epochs = qa.TrainingHistory!.Epochs;
        Assert.True(epochs[1].TrainLoss < epochs[0].TrainLoss, $"train loss {epochs[0].TrainLoss} → {epochs[1].TrainLoss}");
        Assert.Equal(24, metrics.QuestionCount);
        Assert.InRange(metrics.F1, metrics.ExactMatch, 100);
        var dto = ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).ToArray();
        Assert.All(dto, r => Assert.Equal(r.Context.Substring(r.AnswerStart, r.Answer.Length), r.Answer));
        Assert.All(dto, r => Assert.NotEmpty(r.Answer));
        Assert.Equal(3, answers.Count);
        Assert.All(answers, a => Assert.Equal(context[a.Start..a.End], a.Text));
    }

    public sealed class Scored
    {
        public string Context { get; set; } = "";
        public string Answer { get; set; } = "";
        public int AnswerStart { get; set; }
    }

    [Fact]
    public void ReadmeShowsTheSnippetThisTestRuns()
    {
        static string Normalize(IEnumerable<string> lines) => string.Join("\n", lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        var source = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "test", "Microsoft.ML.Lora.Tests", "QuestionAnswering", "ReadmeQuestionAnsweringTests.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == Begin), end = Array.FindIndex(source, l => l.Trim() == End);
        var readme = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "README.md"));
        int section = Array.IndexOf(readme, "## Question answering");
        Assert.True(section >= 0, "README.md has no '## Question answering' section");
        int open = Array.IndexOf(readme, "```csharp", section), close = Array.IndexOf(readme, "```", open + 1);
        var block = readme[(open + 1)..close].Where(l => !Regex.IsMatch(l, @"^using [\w.]+;"));   // directives sit atop the test file
        Assert.Equal(Normalize(source[(begin + 1)..end]), Normalize(block));
    }
}
