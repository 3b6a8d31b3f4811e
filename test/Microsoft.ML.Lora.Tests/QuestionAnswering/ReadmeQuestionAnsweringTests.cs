using System.Text.Json;
using Microsoft.ML.Lora.Tests.Readme;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>
/// The README's "Question answering" snippet, run as written on the embedded MiniLM (the integration test on real weights):
/// train.json and dev.json are small slices of the shared SQuAD v1.1 subsets, so it runs in well under a minute on 2 cores.
/// The snippet is read from README.md and compiled as a console program.
/// </summary>
public sealed class ReadmeQuestionAnsweringTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

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
        Slice(TestData.PathOf("squad11", "train-subset-44articles.json"), temp["train.json"], skip: 0, questions: 48);
        Slice(TestData.PathOf("squad11", "dev-v1.1-halfA-24articles.json"), temp["dev.json"], skip: 0, questions: 24);
        var run = SnippetProgram.Run([Readme.ReadmeSnippet.In("Question answering")], temp.Path, """
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("ml", ml);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("qa", qa);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("scored", scored);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("metrics", metrics);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("context", context);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("answers", answers);
            """);
        var (ml, qa, scored, metrics) = (run.Get<MLContext>("ml"), run.Get<LoraQuestionAnsweringTransformer>("qa"), run.Get<IDataView>("scored"), run.Get<QuestionAnsweringMetrics>("metrics"));
        var (context, answers) = (run.Get<string>("context"), run.Get<IReadOnlyList<AnswerSpan>>("answers"));

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
}
