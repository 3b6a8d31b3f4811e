using Microsoft.ML.Data;
using Xunit;

namespace Microsoft.ML.Lora.Tests.QuestionAnswering;

/// <summary>Training input: column types accepted, and bad rows refused with the row and columns named (never a native abort).</summary>
public sealed class QuestionAnsweringInputTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string baseFolder;

    public QuestionAnsweringInputTests() => baseFolder = TinyHuggingFaceFolder.Create(temp);

    public void Dispose() => temp.Dispose();

    private LoraQuestionAnsweringOptions Options(int epochs = 1) => LoraQuestionAnsweringTests.Options(baseFolder, epochs);

    private Exception FitError(params QaRow[] rows)
    {
        var ml = new MLContext(seed: 1);
        return Assert.ThrowsAny<Exception>(() => ml.Transforms.LoraFineTune(Options()).Fit(ml.Data.LoadFromEnumerable(rows)));
    }

    private static QaRow Row(string context, string question, string answer, int start)
        => new() { Context = context, Question = question, Answers = new[] { answer }, AnswerStarts = new[] { start } };

    [Fact]
    public void AnAnswerThatIsNotAtItsStartNamesTheRowBothTextsAndWhereItIs()
    {
        var rows = QaToyData.Rows(4).Append(Row("the profit of apple was up", "company ?", "apple", 12)).ToArray();
        var e = Assert.IsType<InvalidDataException>(FitError(rows));
        Assert.Contains("Row 4 of the training data", e.Message);
        Assert.Contains("the answer 'apple' (column 'Answers') is not the context's text at character 12 (column 'AnswerStarts')", e.Message);
        Assert.Contains("the context has 'f app' there", e.Message);
        Assert.Contains("it occurs at character 14", e.Message);
    }

    [Fact]
    public void EmptyQuestionsMissingAnswersAndStartsOutsideTheContextAreRefusedNamingTheRow()
    {
        var good = QaToyData.Rows(2);
        Assert.Contains("Row 2 of the training data: column 'Question' is empty",
            FitError(good.Append(Row("apple was up", "  ", "apple", 0)).ToArray()).Message);
        Assert.Contains("Row 2 of the training data: column 'Answers' holds no answer",
            FitError(good.Append(new QaRow { Context = "apple", Question = "company ?", AnswerStarts = new[] { 0 } }).ToArray()).Message);
        Assert.Contains("Row 2 of the training data: answer start 20",
            FitError(good.Append(Row("apple was up", "company ?", "apple", 20)).ToArray()).Message);
        Assert.Contains("Row 2 of the training data: answer start -1",
            FitError(good.Append(Row("apple was up", "company ?", "apple", -1)).ToArray()).Message);
        // an empty context cannot hold an answer
        Assert.Contains("context of 0 character(s)", FitError(good.Append(Row("", "company ?", "apple", 0)).ToArray()).Message);
        Assert.Contains("Row 2 of the training data: the answer in column 'Answers' is empty",
            FitError(good.Append(Row("apple", "company ?", "", 0)).ToArray()).Message);
    }

    private sealed class ScalarRow
    {
        public string Passage { get; set; } = "";
        public string Ask { get; set; } = "";
        public string Gold { get; set; } = "";
        public float GoldStart { get; set; }
    }

    private sealed class BadTypeRow
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
        public bool Answers { get; set; }
        public int[] AnswerStarts { get; set; } = Array.Empty<int>();
    }

    [Fact]
    public void ScalarAnswerColumnsAndSingleStartsFromATextLoaderTrainToo()
    {
        var ml = new MLContext(seed: 1);
        var rows = QaToyData.Rows(16).Select(r => new ScalarRow { Passage = r.Context, Ask = r.Question, Gold = r.Answers[0], GoldStart = r.AnswerStarts[0] }).ToArray();
        var options = Options(epochs: 2);
        (options.ContextColumnName, options.QuestionColumnName, options.AnswerColumnName, options.AnswerStartColumnName) = ("Passage", "Ask", "Gold", "GoldStart");
        var model = ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(rows));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(rows.Length, scored.GetColumn<string>("Answer").Count());
        Assert.InRange(ml.MulticlassClassification.EvaluateQuestionAnswering(scored, referencesColumnName: "Gold").F1, 0, 100);

        rows[1].GoldStart = 2.5f;
        Assert.Contains("Row 1 of the training data: answer start 2.5", Assert.Throws<InvalidDataException>(() => ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(rows))).Message);
    }

    [Fact]
    public void WrongColumnTypesAndAStrideWithoutRoomNameTheColumnAndTheOption()
    {
        var ml = new MLContext(seed: 1);
        var bad = ml.Data.LoadFromEnumerable(new[] { new BadTypeRow { Context = "apple", Question = "q", AnswerStarts = new[] { 0 } } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.LoraFineTune(Options()).Fit(bad));
        Assert.Contains("Answer column 'Answers' has type Boolean", e.Message);
        Assert.Contains("Answer column 'Answers' has type Boolean",
            Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.LoraFineTune(Options()).GetOutputSchema(Microsoft.ML.Lora.Pipeline.SchemaShapes.From(bad.Schema))).Message);

        var options = Options();
        options.DocumentStride = 40;
        var stride = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(QaToyData.Rows(2))));
        Assert.Contains("DocumentStride 40 must be less than the 21 context tokens", stride.Message);   // 32 − 3 − 8

        Assert.Contains("must differ", Assert.Throws<ArgumentException>(() => new LoraQuestionAnsweringOptions { ScoreColumnName = "Answer" }.Validate()).Message);
    }

    [Fact]
    public void LongQuestionsAreCutAndLogged()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var rows = QaToyData.Rows(4).Append(Row("apple was up", string.Join(' ', Enumerable.Repeat("company", 30)), "apple", 0)).ToArray();
        var model = ml.Transforms.LoraFineTune(Options()).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.Contains(log, m => m.Contains("1 of 5 question(s) of the training data exceed 8 tokens (MaxQuestionLength)"));
        Assert.Single(model.PredictAnswers("apple was up", string.Join(' ', Enumerable.Repeat("company", 300))));
    }

    [Theory]
    [InlineData("full")]
    [InlineData("last-layers")]
    [InlineData("adapters")]
    [InlineData("prefix")]
    public void EveryFineTuningMethodTrainsAndAnswers(string name)
    {
        var method = name switch
        {
            "full" => FineTuningMethod.Full,
            "last-layers" => FineTuningMethod.LastLayers(1),
            "adapters" => FineTuningMethod.Adapters(bottleneckSize: 8),
            _ => FineTuningMethod.PrefixTuning(length: 4, hiddenSize: 16),
        };
        var ml = new MLContext(seed: 1);
        var rows = QaToyData.Rows(16);
        var model = ml.Transforms.LoraFineTune(LoraQuestionAnsweringTests.Options(baseFolder, 2, method)).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(method.Name, model.Method.Name);
        var answers = ml.Data.CreateEnumerable<QaOutput>(model.Transform(ml.Data.LoadFromEnumerable(rows)), false).ToArray();
        Assert.All(answers.Zip(rows), x => Assert.Equal(x.Second.Context.Substring(x.First.AnswerStart, x.First.Answer.Length), x.First.Answer));
        Assert.Throws<InvalidOperationException>(() => model.SaveAdapter(temp["a-" + name]));   // only LoRA has a PEFT adapter
    }
}
