using System.Security.Cryptography;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Faults;

/// <summary>kill -9 while adapters and model zips are saved over and over: every file is the old or the new one.</summary>
public class KillDuringSaveTests(TinyFolderFixture tiny) : IClassFixture<TinyFolderFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly TempFolder temp = new();
    private readonly string baseFolder = tiny.BaseFolder;

    public void Dispose() => temp.Dispose();

    [Fact]
    public void AKilledAdapterSaveLeavesOneOfTheTwoAdaptersAndTheNextLoadRemovesItsTempFiles()
    {
        var adapter = temp["adapter"];
        var random = new Random(5);
        for (int kill = 0; kill < 3; kill++)
        {
            using var child = new KillableChild(null, "save-adapter", baseFolder, adapter);
            child.WaitForLine("hash1", Patience);
            Thread.Sleep(random.Next(0, 100));
            child.Kill();
            var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(adapter, PeftAdapter.WeightsFileName))));
            Assert.Contains(hash, new[] { child.Value("hash0"), child.Value("hash1") });
            PeftAdapterConfig.Parse(File.ReadAllText(Path.Combine(adapter, PeftAdapterConfig.FileName)));

            var ml = new MLContext(seed: 1);
            var loaded = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions { BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), Sentence1ColumnName = "Text" }).FromPeftAdapter(adapter);
            Assert.Equal(3, loaded.ClassCount);
            Assert.Empty(Directory.GetFiles(adapter, "*.tmp"));
        }
    }

    [Fact]
    public void AKilledModelSaveLeavesOneOfTheTwoModels()
    {
        var zip = temp["model.zip"];
        var random = new Random(9);
        for (int kill = 0; kill < 3; kill++)
        {
            using var child = new KillableChild(null, "save-model", baseFolder, zip);
            child.WaitForLine("saved", Patience);
            Thread.Sleep(random.Next(0, 300));
            child.Kill();
            var ml = new MLContext(seed: 1);
            var model = ml.Model.Load(zip, out _);
            var row = ml.Data.LoadFromEnumerable(new[] { new { Text = "the stock was good today" } });
            var score = model.Transform(row).GetColumn<float[]>("Score").Single();
            var expected = new[] { child.Value("score0")!, child.Value("score1")! }
                .Select(s => s.Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            Assert.Contains(expected, e => e.Zip(score).All(p => Math.Abs(p.First - p.Second) < 1e-5));
        }
    }

    /// <summary>A transformer whose save fails half-way, like a full disk or an exception in a custom transformer.</summary>
    private sealed class FailingSave : ITransformer, ICanSaveModel
    {
        public bool IsRowToRowMapper => true;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;
        public void Save(ModelSaveContext ctx) => throw new IOException("No space left on device (simulated)");
    }

    [Fact]
    public void AFailedSaveAtomicallyKeepsTheOldModelWhereMlNetsPathOverloadDestroysIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "x" } });
        var good = ml.Transforms.CopyColumns("Copy", "Text").Fit(data);
        var zip = temp["copy.zip"];

        ml.Model.SaveAtomically(good, data.Schema, zip);
        Assert.Throws<IOException>(() => ml.Model.SaveAtomically(new FailingSave(), data.Schema, zip));
        Assert.NotNull(ml.Model.Load(zip, out _).GetOutputSchema(data.Schema).GetColumnOrNull("Copy"));
        Assert.Equal(new[] { zip }, Directory.GetFiles(temp.Path, "copy.zip*"));   // no temp file left behind

        // The reason for SaveAtomically: ML.NET's own path overload empties the file before writing.
        Assert.Throws<IOException>(() => ml.Model.Save(new FailingSave(), data.Schema, zip));
        Assert.ThrowsAny<Exception>(() => ml.Model.Load(zip, out _));
    }
}
