using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Data;
using Samples.Common;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples;

/// <summary>Runs samples/QuestionAnswering as a user would, in a child process, on tiny data, and checks what it promises.</summary>
public class QuestionAnsweringSampleTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly TempFolder temp = new("lora-qa-sample-");

    public void Dispose() => temp.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Sample(params string[] args) => ChildProcess.Run("QuestionAnsweringSamplePath", Timeout, args);

    private sealed class Input
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
    }

    [Fact]
    public void SmokeRunTrainsEvaluatesSavesAndAnswersWithTheSavedZip_ThenReusesIt()
    {
        string baseModel = TinyHuggingFaceFolder.Create(temp);
        string output = temp["out"];
        // The tiny model has 66 positions: windows of 48 tokens sharing 16.
        string[] common = ["--base-model", baseModel, "--limit", "24", "--max-length", "48", "--stride", "16", "--device", "cpu"];
        var (code, stdout, stderr) = Sample([.. common, "--output", output, "--epochs", "1"]);
        Assert.True(code == 0, stdout + stderr);
        foreach (var file in new[] { "model.zip", "adapter/adapter_config.json", "adapter/adapter_model.safetensors" })
            Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing or empty");
        foreach (var png in new[] { "loss.png", "f1-by-question.png" })
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(output, png))[..4]);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "adapter", "adapter_config.json"))))
            Assert.Equal("QUESTION_ANS", config.RootElement.GetProperty("task_type").GetString());
        Assert.Contains("Training data: train-subset-44articles.json, 24 questions", stdout);
        Assert.Contains("Answers from model.zip loaded in a fresh MLContext", stdout);
        Assert.Contains("Q: How much revenue did Northwind Traders report?", stdout);
        Assert.Contains("exact match", stdout);   // the per-question-word table

        var result = stdout.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        foreach (var metric in new[] { "exact_match", "f1" })
            Assert.InRange(double.Parse(result[metric], CultureInfo.InvariantCulture), 0, 100);
        Assert.Equal("24", result["test_questions"]);

        // The zip reloads here with a plain Model.Load: Answer is an exact substring of Context.
        var ml = new MLContext();
        var model = ml.Model.Load(Path.Combine(output, "model.zip"), out var inputSchema);
        Assert.Equal(new[] { "Context", "Question" }, inputSchema.Select(c => c.Name));
        const string context = "Northwind Traders reported revenue of $2.41 billion, up 8.3%.";
        var scored = model.Transform(ml.Data.LoadFromEnumerable(new[] { new Input { Context = context, Question = "How much revenue?" } }));
        string answer = scored.GetColumn<string>("Answer").Single();
        int start = scored.GetColumn<int>("AnswerStart").Single();
        Assert.Equal(context.Substring(start, answer.Length), answer);

        // --model takes the saved zip: no training, the same evaluation
        var (again, stdout2, stderr2) = Sample([.. common, "--model", Path.Combine(output, "model.zip"), "--output", temp["out2"]]);
        Assert.True(again == 0, stdout2 + stderr2);
        Assert.Contains("(no training)", stdout2);
        Assert.DoesNotContain("Fine-tuning", stdout2);
        Assert.Equal(result["f1"], stdout2.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!["f1"]);
    }

    [Fact]
    public void MissingDataAndBadOptionsAreOneLineErrors()
    {
        string missing = temp["no-data-here"];
        var (code, stdout, stderr) = ChildProcess.Run("QuestionAnsweringSamplePath", Timeout, new Dictionary<string, string> { [SharedData.FolderVariable] = missing },
            "--epochs", "1", "--output", temp["o"]);
        Assert.Equal(1, code);   // SampleRunner.Failure
        Assert.Contains(Path.Combine(missing, "squad11", "train-subset-44articles.json"), stderr);
        Assert.Contains("--data FILE", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);

        string bad = temp["bad.json"];
        File.WriteAllText(bad, """{"data": [{"title": "t", "paragraphs": [{"context": "abc def", "qas": [{"id": "q7", "question": "q", "answers": [{"text": "def", "answer_start": 2}]}]}]}]}""");
        var (badCode, badOut, badErr) = Sample("--data", bad, "--epochs", "1", "--output", temp["o"]);
        Assert.Equal(1, badCode);
        Assert.Contains("(id q7)", badErr + badOut);
        var (usage, _, usageErr) = Sample("--stride", "x");
        Assert.Equal(2, usage);   // SampleRunner.UsageError
        Assert.Contains("--stride", usageErr);
    }
}
