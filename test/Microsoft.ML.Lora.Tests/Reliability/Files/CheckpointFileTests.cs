using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Training;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>
/// A damaged checkpoint is an error naming the file, what is wrong and the way out ("delete the folder or pass a new
/// CheckpointDirectory"), never a bare EndOfStreamException or JsonException; an unwritable folder is found before training.
/// </summary>
public class CheckpointFileTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly List<RawIdsExample> Train = RawIdsExample.Several(16);

    private static TrainingSettings Settings(string dir, CancellationToken ct = default) => new()
    {
        Epochs = 3, BatchSize = 4, LearningRate = 1e-2, Seed = 1, CheckpointDirectory = dir, CheckpointEverySteps = 1, Fingerprint = "run", CancellationToken = ct,
    };

    /// <summary>A run cancelled after three steps, once for the class; each test gets a copy of its checkpoint folder.</summary>
    private static readonly Lazy<string> Template = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("lora-checkpoint-template-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        using var cts = new CancellationTokenSource();
        using SequenceClassificationModel model = TinyModels.Classifier();
        Assert.Throws<OperationCanceledException>(() => TrainingLoop.Run(model, new RawIdsTask(cts, 3), Train, null, Settings(dir, cts.Token), CPU));
        Assert.NotNull(TrainingCheckpoint.Find(dir));
        return dir;
    });

    private string Interrupted()
    {
        var dir = Path.Combine(temp.Path, Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(Template.Value, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(Template.Value, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dir;
    }

    private static Exception Resume(string dir)
    {
        using SequenceClassificationModel model = TinyModels.Classifier();
        return Assert.Throws<InvalidDataException>(() => TrainingLoop.Run(model, new RawIdsTask(), Train, null, Settings(dir), CPU));
    }

    private static void Truncate(string path, double fraction)
    {
        using var f = new FileStream(path, FileMode.Open);
        f.SetLength((long)(f.Length * fraction));
    }

    public static TheoryData<string, string, string> Damage => new()
    {
        { "trainable.safetensors", "half", "data offsets" },
        { "trainable.safetensors", "4 bytes", "shorter than 8 bytes" },
        { "trainable.safetensors", "empty", "shorter than 8 bytes" },
        { "trainable.safetensors", "garbage", "not a valid safetensors file" },
        { "optimizer.bin", "half", "truncated" },
        { "optimizer.bin", "empty", "truncated" },
        { "optimizer.bin", "trailing bytes", "bytes follow" },
        { "state.json", "half", "not a training checkpoint state" },
        { "state.json", "null", "null" },
        { "state.json", "epoch 99", "epoch 99 is outside" },
        { "state.json", "batch -1", "batch -1 is outside" },
        { "state.json", "step 10^9", "step 1000000000 is outside" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void ADamagedCheckpointFileIsNamedWithTheWayOut(string file, string damage, string expected)
    {
        var dir = Interrupted();
        var path = Path.Combine(TrainingCheckpoint.Find(dir)!, file);
        switch (damage)
        {
            case "half": Truncate(path, 0.5); break;
            case "4 bytes": File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4 }); break;
            case "empty": File.WriteAllBytes(path, Array.Empty<byte>()); break;
            case "garbage": File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37)).ToArray()); break;
            case "trailing bytes": File.AppendAllText(path, "extra"); break;
            case "null": File.WriteAllText(path, "null"); break;
            case "epoch 99": File.WriteAllText(path, File.ReadAllText(path).Replace("\"Epoch\":0", "\"Epoch\":99")); break;
            case "batch -1": File.WriteAllText(path, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), "\"BatchesDoneInEpoch\":\\d+", "\"BatchesDoneInEpoch\":-1")); break;
            case "step 10^9": File.WriteAllText(path, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), "\"GlobalStep\":\\d+", "\"GlobalStep\":1000000000")); break;
        }
        var ex = Resume(dir);
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.Contains($"Delete the folder {dir}", ex.Message);
        Assert.Contains("pass a new CheckpointDirectory", ex.Message);
    }

    [Theory]
    [InlineData("missing tensor")]
    [InlineData("wrong shape")]
    public void TrainableTensorsMustAllBeThereWithTheModelsShapes(string damage)
    {
        var dir = Interrupted();
        var path = Path.Combine(TrainingCheckpoint.Find(dir)!, "trainable.safetensors");
        var tensors = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        if (damage == "missing tensor") tensors.Remove("classifier.weight");
        else tensors["classifier.weight"] = zeros(5, 5);
        HuggingFaceFolderWriter.WriteSafetensors(path, tensors);
        var ex = Resume(dir);
        Assert.Contains("classifier.weight", ex.Message);
        Assert.Contains(damage == "missing tensor" ? "is missing" : "[5, 5]", ex.Message);
    }

    [Fact]
    public void ACheckpointOfAnotherRunStartsAfreshInsteadOfFailingOnItsCounters()
    {
        var dir = Interrupted();
        var path = Path.Combine(TrainingCheckpoint.Find(dir)!, "state.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Fingerprint\":\"run\"", "\"Fingerprint\":\"other\"").Replace("\"Epoch\":0", "\"Epoch\":99"));
        using SequenceClassificationModel model = TinyModels.Classifier();
        var history = TrainingLoop.Run(model, new RawIdsTask(), Train, null, Settings(dir), CPU);
        Assert.False(history.Resumed);
        Assert.Equal(12, history.StepLosses.Count);
    }

    [Fact]
    public void AnUnwritableCheckpointDirectoryIsFoundBeforeTheFirstStep()
    {
        // Root may write anywhere, so the folder is made unwritable by putting it under a file.
        var file = temp["a-file"];
        File.WriteAllText(file, "x");
        var task = new RawIdsTask();
        using SequenceClassificationModel model = TinyModels.Classifier();
        var ex = Assert.Throws<InvalidOperationException>(() => TrainingLoop.Run(model, task, Train, null, Settings(Path.Combine(file, "checkpoints")), CPU));
        Assert.Contains("CheckpointDirectory", ex.Message);
        Assert.Contains("not writable", ex.Message);
        Assert.Equal(0, task.Batches);
    }

    [Fact]
    public void StagingFoldersOfAKilledWriterAreRemovedByTheNextRun()
    {
        var dir = Interrupted();
        var dead = DeadProcessId();
        var staging = TempFiles.NameFor(Path.Combine(Path.GetFullPath(dir), "checkpoint"), dead);
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "trainable.safetensors"), "half-written");
        using SequenceClassificationModel model = TinyModels.Classifier();
        var history = TrainingLoop.Run(model, new RawIdsTask(), Train, null, Settings(dir), CPU);
        Assert.True(history.Resumed);
        Assert.False(Directory.Exists(staging));
    }

    internal static int DeadProcessId()
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }
}
