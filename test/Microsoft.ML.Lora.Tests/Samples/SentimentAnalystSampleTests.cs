using System.Globalization;
using Microsoft.ML.Data;
using Samples.Common;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples;

/// <summary>
/// Runs samples/SentimentAnalyst as a user would, in a child process, in its smoke mode (a tiny random base model, a few
/// rows, one epoch) and checks that it delivers what it promises: model.zip that loads, the PEFT adapter, the charts and a
/// parseable RESULT line; and that bad input ends with a one-line error.
/// </summary>
public class SentimentAnalystSampleTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly TempFolder temp = new("lora-sample-");

    public void Dispose() => temp.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Sample(params string[] args) => ChildProcess.Run("SentimentAnalystPath", Timeout, args);

    [Fact]
    public void SmokeRunOnTheBundledDataSavesAModelThatLoadsTheAdapterTheChartsAndAResultLine()
    {
        string baseModel = TinyHuggingFaceFolder.Create(temp);
        string output = temp["out"];
        var (code, stdout, stderr) = Sample("--base-model", baseModel, "--limit", "64", "--epochs", "1", "--output", output, "--device", "cpu");
        Assert.True(code == 0, stdout + stderr);

        foreach (var file in new[] { "model.zip", "adapter/adapter_config.json", "adapter/adapter_model.safetensors" })
            Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing or empty");
        foreach (var png in new[] { "loss.png", "confusion-matrix.png", "reliability.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(output, png));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.True(bytes.Length > 5_000, $"{png} is only {bytes.Length} bytes");
        }
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));

        // Redirected output gets plain lines, no carriage-return redraws.
        Assert.DoesNotContain('\r', stdout);
        Assert.Contains("epoch 1/1: train loss", stdout);

        var result = stdout.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        foreach (var metric in new[] { "accuracy", "macro_f1", "ece_before", "ece_after" })
            Assert.InRange(double.Parse(result[metric], CultureInfo.InvariantCulture), 0, 1);
        Assert.InRange(int.Parse(result["test_rows"], CultureInfo.InvariantCulture), 50, 70);
        Assert.True(int.Parse(result["seconds"], CultureInfo.InvariantCulture) >= 0);

        // The consumption part scored the analyst sentences with class names; the zip also loads here, with a plain Model.Load.
        Assert.Contains("We reiterate our Buy rating", stdout);
        var ml = new MLContext();
        var model = ml.Model.Load(Path.Combine(output, "model.zip"), out var inputSchema);
        Assert.Equal(new[] { "Text" }, inputSchema.Select(c => c.Name));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "shares up" }, new TextRow { Text = "shares down" } }));
        Assert.All(scored.GetColumn<string>("PredictedLabel"), label => Assert.Contains(label, new[] { "Bearish", "Bullish", "Neutral" }));
        Assert.All(scored.GetColumn<float[]>("Score"), s => Assert.Equal(1.0, s.Sum(), 4));
    }

    [Fact]
    public void OwnTsvWithStringLabelsAndQuotedFieldsIsSplitStratifiedWhenNoTestFileIsGiven()
    {
        string baseModel = TinyHuggingFaceFolder.Create(temp);
        var rows = new List<string> { "id\tsentiment\tsentence" };
        string[] words = ["good", "great", "bad", "awful", "flat", "okay"];
        string[] labels = ["up", "up", "down", "down", "same", "same"];
        for (int i = 0; i < 60; i++)
        {
            int k = i % words.Length;
            // Every fifth text is quoted and holds the separator, a doubled quote and a line break.
            string text = i % 5 == 0 ? $"\"the stock\tis \"\"{words[k]}\"\"\ntoday\"" : $"the stock is {words[k]}";
            rows.Add($"{i}\t{labels[k]}\t{text}");
        }
        string data = temp["mine.tsv"];
        File.WriteAllLines(data, rows);
        string output = temp["own"];

        var (code, stdout, stderr) = Sample("--data", data, "--text-column", "sentence", "--label-column", "sentiment", "--base-model", baseModel,
            "--epochs", "1", "--output", output);
        Assert.True(code == 0, stdout + stderr);
        // 60 rows, 20 per class: a stratified 20% is 4 of each class for the test set, the rest splits 14 + 2 per class.
        Assert.Matches(@"down\s+14\s+2\s+4", stdout);
        Assert.Matches(@"all\s+42\s+6\s+12", stdout);
        var result = stdout.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        Assert.Equal("12", result["test_rows"]);
        var model = new MLContext().Model.Load(Path.Combine(output, "model.zip"), out _);
        var scored = model.Transform(new MLContext().Data.LoadFromEnumerable(new[] { new TextRow { Text = "good" } }));
        Assert.Contains(scored.GetColumn<string>("PredictedLabel").Single(), new[] { "up", "down", "same" });
    }

    [Theory]
    [InlineData(2, "unknown option '--epoch'", "--epoch", "3")]
    [InlineData(2, "--epochs must be an integer of at least 1, got '0'", "--epochs", "0")]
    [InlineData(2, "--device must be cpu, cuda or auto", "--device", "tpu")]
    [InlineData(2, "--data: file not found", "--data", "no-such-file.csv")]
    [InlineData(2, "option --output needs a value", "--output")]
    [InlineData(2, "--epochs is a training option; --backtest scores tweets with a saved model", "--backtest", ".", "--epochs", "2")]
    [InlineData(2, "--model applies to --backtest only", "--model", "model.zip")]
    [InlineData(2, "--backtest: folder not found", "--backtest", "no-such-folder")]
    [InlineData(2, "--model: file not found", "--backtest", ".", "--model", "no-such.zip")]
    // --backtest without a folder takes ../shared/data/stocknet beside the repository (there on every development machine and in CI).
    [InlineData(2, "--model: file not found", "--backtest", "--model", "no-such.zip")]
    public void BadArgumentsEndWithOneErrorLine(int exitCode, string message, params string[] args)
    {
        var (code, stdout, stderr) = Sample(args);
        Assert.Equal(exitCode, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
        Assert.DoesNotContain("RESULT", stdout);
    }

    [Fact]
    public void MissingColumnNamesTheColumnAndTheHeader()
    {
        string data = temp["data.csv"];
        File.WriteAllLines(data, ["headline,label", "\"up, up\",1", "down,0"]);
        var (code, _, stderr) = Sample("--data", data, "--output", temp["x"]);
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no column 'text'", line);
        Assert.Contains("'headline', 'label'", line);
        Assert.Contains("--text-column", line);
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
