using System.Text;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

public class SquadReaderTests
{
    private static IReadOnlyList<SquadQuestion> Read(string json, bool requireAnswers = true)
        => SquadReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json", requireAnswers);

    [Fact]
    public void ReadsQuestionsWithTheirContextTitleAndEveryAnswer()
    {
        var questions = Read("""
            {"version": "1.1", "data": [{"title": "Zoë", "paragraphs": [
              {"context": "Zoë Café sold 5 €-bonds.", "qas": [
                {"id": "q1", "question": "Who sold?", "answers": [{"text": "Zoë Café", "answer_start": 0}, {"text": "Café", "answer_start": 4}]},
                {"id": "q2", "question": "What?", "answers": [{"text": "€-bonds", "answer_start": 16}]}]}]}]}
            """);
        Assert.Equal(2, questions.Count);
        Assert.Equal(("q1", "Zoë", "Who sold?"), (questions[0].Id, questions[0].Title, questions[0].Question));
        Assert.Equal(new[] { "Zoë Café", "Café" }, questions[0].Answers);
        Assert.Equal(new[] { 0, 4 }, questions[0].AnswerStarts);
        Assert.Same(questions[0].Context, questions[1].Context);

        // the rows load into ML.NET with the estimator's default columns
        var view = new MLContext().Data.LoadFromEnumerable(questions);
        foreach (var c in new[] { "Context", "Question", "Answers", "AnswerStarts" }) Assert.NotNull(view.Schema.GetColumnOrNull(c));
    }

    [Fact]
    public void AnAnswerNotAtItsStartOrAMissingFieldNamesTheQuestion()
    {
        var wrongStart = Assert.Throws<InvalidDataException>(() => Read("""
            {"data": [{"title": "t", "paragraphs": [{"context": "abc def", "qas": [
              {"id": "ok", "question": "q", "answers": [{"text": "abc", "answer_start": 0}]},
              {"id": "bad", "question": "q", "answers": [{"text": "def", "answer_start": 3}]}]}]}]}
            """));
        Assert.Contains("test.json: data[0].paragraphs[0].qas[1] (id bad).answers[0]", wrongStart.Message);
        Assert.Contains("'def' is not the context's text at character 3", wrongStart.Message);

        Assert.Contains("\"question\" is missing", Assert.Throws<InvalidDataException>(() => Read("""{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "x"}]}]}]}""")).Message);
        Assert.Contains("\"data\" array", Assert.Throws<InvalidDataException>(() => Read("""{"rows": []}""")).Message);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => Read("{\"data\": [")).Message);
        Assert.Contains("has no answer", Assert.Throws<InvalidDataException>(() => Read("""{"data": [{"paragraphs": [{"context": "c", "qas": [{"question": "q", "answers": []}]}]}]}""")).Message);
        Assert.Empty(Read("""{"data": [{"paragraphs": [{"context": "c", "qas": [{"question": "q"}]}]}]}""", requireAnswers: false)[0].Answers);
    }

    [Fact]
    public void TheSharedSquadSubsetsReadAsDocumented()
    {
        var train = SquadReader.Read(TestData.PathOf("squad11", "train-subset-44articles.json"));
        var dev = SquadReader.Read(TestData.PathOf("squad11", "dev-v1.1-halfA-24articles.json"));
        Assert.Equal(11_877, train.Count);
        Assert.All(train, q => Assert.Single(q.Answers));
        Assert.Equal(4_961, dev.Count);
        Assert.Equal(1, dev.Min(q => q.Answers.Length));
        Assert.Equal(6, dev.Max(q => q.Answers.Length));
        Assert.Equal(2_429, train.Select(q => q.Context).Distinct().Count());   // 2,430 paragraphs, two of them with the same text
    }
}
