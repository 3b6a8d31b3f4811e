using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Tests.TextClassification;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Methods;

/// <summary>Every method trains through the public estimator and survives the ML.NET .zip.</summary>
public class MethodPersistenceTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    public static TheoryData<string> Methods => new() { "full", "head", "last1", "adapters", "prefix", "prefix-plain" };

    private static FineTuningMethod Make(string name) => name switch
    {
        "full" => FineTuningMethod.Full,
        "head" => FineTuningMethod.HeadOnly,
        "last1" => FineTuningMethod.LastLayers(1),
        "adapters" => FineTuningMethod.Adapters(bottleneckSize: 8),
        "prefix" => FineTuningMethod.PrefixTuning(length: 4, hiddenSize: 16),
        "prefix-plain" => FineTuningMethod.PrefixTuning(length: 4, reparameterize: false),
        _ => FineTuningMethod.Lora(new LoraOptions { Rank = 4 }),
    };

    private static readonly string[] Probe = { "the stock was good today", "awful news", "   ", "market okay $ + up", "paris visited london" };

    private (MLContext Ml, LoraTextClassificationTransformer Model, IDataView Probe, float[][] Scores) Train(FineTuningMethod method, PretrainedModel baseModel, int repeat = 1)
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(ToyData.Sentiment(repeat));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = baseModel, Method = method, Epochs = 2, BatchSize = 8, Seed = 3,
        }).Fit(data);
        var probe = ml.Data.LoadFromEnumerable(Probe.Select(p => new LoraTextClassificationTests.SentenceOnly { Sentence1 = p }));
        return (ml, model, probe, model.Transform(probe).GetColumn<float[]>("Score").ToArray());
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void SaveThenLoadGivesIdenticalPredictions(string name)
    {
        var method = Make(name);
        var (ml, model, probe, expected) = Train(method, PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp)));
        Assert.Equal(method.Name, model.Method.Name);
        var zip = Path.Combine(temp.Path, $"{name}.zip");
        ml.Model.Save(model, probe.Schema, zip);

        var loaded = (LoraTextClassificationTransformer)new MLContext().Model.Load(zip, out _);
        Assert.Equal(method.ToJson().ToJsonString(), loaded.Method.ToJson().ToJsonString());
        Assert.Equal(model.Parameters, loaded.Parameters);
        var actual = loaded.Transform(probe).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void PrefixModelLoadsInAFreshProcessAndPredictsTheSame()
    {
        var (ml, model, probe, expected) = Train(FineTuningMethod.PrefixTuning(length: 4, hiddenSize: 16),
            PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp)));
        var zip = Path.Combine(temp.Path, "prefix.zip");
        ml.Model.Save(model, probe.Schema, zip);
        var (code, values, output) = ChildProcess.LoadAndScore(zip, new[] { "Sentence1" }, Probe.Select(p => new[] { p }), "Score");
        Assert.True(code == 0, output);
        var actual = values["Score"].Split(';').Select(r => r.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)   // "R" text round-trips floats; another process may split matmuls differently
            for (int c = 0; c < 3; c++) Assert.InRange(Math.Abs(expected[i][c] - actual[i][c]), 0, 1e-6);
    }

    [Theory]
    [InlineData("adapters")]
    [InlineData("prefix")]
    public void OnTheEmbeddedBaseTheZipHoldsOnlyTheTrainedTensorsAndStillReloads(string name)
    {
        // Only with the embedded MiniLM does the zip leave the base weights out: the added modules must be among what is kept.
        var (ml, model, probe, expected) = Train(Make(name), PretrainedModel.MiniLmL6V2, repeat: 1);
        var zip = Path.Combine(temp.Path, $"{name}-minilm.zip");
        ml.Model.Save(model, probe.Schema, zip);
        using (var archive = ZipFile.OpenRead(zip))
        {
            long weights = archive.Entries.Single(e => e.FullName.EndsWith("Weights.safetensors", StringComparison.Ordinal)).Length;
            Assert.InRange(weights, model.Parameters.Trainable * 4, model.Parameters.Trainable * 4 + 64 * 1024);   // float32 + header
        }
        var loaded = new MLContext().Model.Load(zip, out _);
        var actual = loaded.Transform(probe).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }
}
