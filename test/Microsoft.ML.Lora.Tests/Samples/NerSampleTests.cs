using System.Globalization;
using Microsoft.ML.Data;
using Samples.Common;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples;

/// <summary>Runs samples/Ner as a user would, in a child process, in smoke mode, and checks what it promises.</summary>
public class NerSampleTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly TempFolder temp = new("lora-ner-sample-");

    public void Dispose() => temp.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Sample(params string[] args) => ChildProcess.Run("NerSamplePath", Timeout, args);

    private sealed class TokensRow { public string[] Tokens { get; set; } = []; }

    [Fact]
    public void SmokeRunOnTheBundledDataSavesAModelThatLoadsTheAdapterTheChartsAndAResultLine()
    {
        string baseModel = TinyHuggingFaceFolder.Create(temp);
        string output = temp["out"];
        var (code, stdout, stderr) = Sample("--base-model", baseModel, "--limit", "30", "--epochs", "1", "--output", output, "--device", "cpu");
        Assert.True(code == 0, stdout + stderr);
        foreach (var file in new[] { "model.zip", "adapter/adapter_config.json", "adapter/adapter_model.safetensors" })
            Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing or empty");
        foreach (var png in new[] { "loss.png", "entity-f1.png" })
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(output, png))[..4]);
        Assert.Contains("\"task_type\": \"TOKEN_CLS\"", File.ReadAllText(Path.Combine(output, "adapter", "adapter_config.json")));
        Assert.Contains("micro", stdout);   // the per-type table
        Assert.Contains("Entities in new sentences", stdout);

        var result = stdout.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        foreach (var metric in new[] { "entity_f1", "precision", "recall", "token_accuracy" })
            Assert.InRange(double.Parse(result[metric], CultureInfo.InvariantCulture), 0, 1);
        Assert.Equal("30", result["test_sentences"]);

        // The zip reloads here with a plain Model.Load: one tag string per word.
        var ml = new MLContext();
        var model = ml.Model.Load(Path.Combine(output, "model.zip"), out var inputSchema);
        Assert.Equal(new[] { "Tokens" }, inputSchema.Select(c => c.Name));
        var words = new[] { "john", "visited", "london", "today" };
        var tags = model.Transform(ml.Data.LoadFromEnumerable(new[] { new TokensRow { Tokens = words } })).GetColumn<string[]>("PredictedTags").Single();
        Assert.Equal(words.Length, tags.Length);
        Assert.All(tags, t => Assert.Matches("^(O|[BI]-(PER|ORG|LOC|MISC))$", t));
    }

    [Fact]
    public void TestAloneTrainsOnTheDefaultDataAndEvaluatesOnTheGivenFileInItsOwnTagScheme()
    {
        // The default training data (FIN5) uses IO tags; this test file uses BIOES, which no IO reading accepts (E-, S-).
        string testFile = temp["mine.conll"];
        File.WriteAllLines(testFile, ["John B-PER", "Smith E-PER", "Mary S-PER", "joined O", "Acme B-ORG", "Corp E-ORG", "", "Paris S-LOC", "sleeps O"]);
        string baseModel = TinyHuggingFaceFolder.Create(temp);
        var (code, stdout, stderr) = Sample("--test", testFile, "--base-model", baseModel, "--limit", "20", "--epochs", "1",
            "--output", temp["out"], "--device", "cpu");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("FIN5.txt (IO tags, detected)", stdout);
        Assert.Contains("mine.conll (BIOES tags, detected)", stdout);
        Assert.Contains("Test set: 2 sentences, 4 entities", stdout);   // John Smith, Mary, Acme Corp, Paris
        var result = stdout.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        Assert.Equal("2", result["test_sentences"]);

        // Told that the test file is IO, the sample refuses its first E- tag, naming the file and line.
        var (ioCode, ioOut, ioErr) = Sample("--test", testFile, "--test-scheme", "io", "--base-model", baseModel, "--epochs", "1", "--output", temp["o"]);
        Assert.Equal(1, ioCode);   // SampleRunner.Failure
        Assert.Contains("mine.conll:2", ioErr + ioOut);
    }

    [Fact]
    public void MissingDefaultDataIsAOneLineErrorNamingThePath()
    {
        string missing = temp["no-data-here"];
        var (code, stdout, stderr) = ChildProcess.Run("NerSamplePath", Timeout, new Dictionary<string, string> { [SharedData.FolderVariable] = missing },
            "--epochs", "1", "--output", temp["o"]);
        Assert.Equal(1, code);   // SampleRunner.Failure
        Assert.Contains(Path.Combine(missing, "sec_filings_fin", "FIN5.txt"), stderr);
        Assert.Contains("--data FILE", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);   // one line, no stack trace
    }

    [Fact]
    public void OwnConllFilesWithABadLineGiveAOneLineError()
    {
        string data = temp["bad.conll"];
        File.WriteAllLines(data, new[] { "John B-PER", "visited O", "London", "", "Mary B-PER" });
        var (code, stdout, stderr) = Sample("--data", data, "--epochs", "1", "--output", temp["o"]);
        Assert.Equal(1, code);   // SampleRunner.Failure
        Assert.Contains("bad.conll:3", stderr + stdout);
        var (usage, _, usageErr) = Sample("--scheme", "bilou");
        Assert.Equal(2, usage);   // SampleRunner.UsageError
        Assert.Contains("--scheme", usageErr);
    }
}
