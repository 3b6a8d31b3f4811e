using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Persistence;

/// <summary>
/// Model zips written by the first model format (Model.json format 1, main at 0e6d38e; see TestAssets/FormatV1/README.md)
/// still load with a plain <c>mlContext.Model.Load</c> and score exactly as they did when they were written: text
/// classification and NER, on a tiny random BERT (every tensor in the zip) and on the embedded MiniLM (trained tensors only).
/// </summary>
public class FormatV1CompatibilityTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestAssets", "FormatV1");
    private static readonly JsonObject Expected = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "expected-scores.json")))!.AsObject();

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in Expected) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LoadsAndScoresAsWhenItWasWritten(string name)
    {
        var expected = Expected[name]!.AsObject();
        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.Load(Path.Combine(Folder, name + ".zip"), out _);
        var transformer = loaded is IEnumerable<ITransformer> chain ? chain.Last() : loaded;
        string column = expected["input_column"]!.GetValue<string>();
        var inputs = expected["inputs"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();
        var definition = SchemaDefinition.Create(typeof(TextRow));
        definition[nameof(TextRow.Text)].ColumnName = column;
        var data = ml.Data.LoadFromEnumerable(inputs.Select(t => new TextRow { Text = t }), definition);
        var scored = loaded.Transform(data);

        if (expected["task"]!.GetValue<string>() == "text-classification")
        {
            var tc = Assert.IsType<LoraTextClassificationTransformer>(transformer);
            Assert.Equal(Strings(expected["label_names"]), tc.LabelNames);
            Assert.Equal(expected["temperature"]!.GetValue<float>(), tc.Temperature);
            AssertClose(Vectors(expected["Score"]), scored.GetColumn<float[]>("Score").ToArray(), name);
            Assert.Equal(expected["PredictedLabel"]!.AsArray().Select(v => v!.GetValue<uint>()), scored.GetColumn<uint>("PredictedLabel"));
        }
        else
        {
            var ner = Assert.IsType<LoraNerTransformer>(transformer);
            Assert.Equal(Strings(expected["tags"]), ner.Tags);
            var keys = scored.GetColumn<uint[]>("PredictedLabel").ToArray();
            Assert.Equal(expected["PredictedLabel"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<uint>()).ToArray()), keys);
            AssertClose(Vectors(expected["Confidence"]), scored.GetColumn<float[]>("Confidence").ToArray(), name);
        }
    }

    [Fact]
    public void LoadingAModelLeavesTheThreadCountAsTheUserSetIt()
    {
        int before = TorchSharp.torch.get_num_threads();
        int mine = before == 1 ? 2 : 1;
        TorchSharp.torch.set_num_threads(mine);
        try
        {
            var loaded = new MLContext().Model.Load(Path.Combine(Folder, "textcls-tiny-bert.zip"), out _);
            Assert.NotNull(loaded);
            Assert.Equal(mine, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }

    private static string[] Strings(JsonNode? node) => node!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

    private static float[][] Vectors(JsonNode? node) => node!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray();

    private static void AssertClose(float[][] expected, float[][] actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            for (int i = 0; i < expected[r].Length; i++)
                Assert.True(Math.Abs(expected[r][i] - actual[r][i]) <= 1e-5, $"{name}: row {r} value {i}: expected {expected[r][i]}, got {actual[r][i]}");
        }
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
