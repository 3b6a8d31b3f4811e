using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Lora;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>Temporary files: a killed writer's are removed by the next save or load; a live writer's are never touched.</summary>
public class TempFileTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void TheNextWriteRemovesADeadWritersTempFileButNotALiveOnesOrOtherFiles()
    {
        var target = Path.GetFullPath(temp["model.zip"]);
        var dead = TempFiles.NameFor(target, CheckpointFileTests.DeadProcessId());
        var live = TempFiles.NameFor(target, Environment.ProcessId);
        var foreign = TempFiles.NameFor(Path.GetFullPath(temp["other.zip"]), CheckpointFileTests.DeadProcessId());
        foreach (var f in new[] { dead, live, foreign }) File.WriteAllText(f, "half");
        AtomicFile.WriteAllText(target, "new");
        Assert.Equal("new", File.ReadAllText(target));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));      // another thread of this process may be writing it
        Assert.True(File.Exists(foreign));   // a temp file of another target
    }

    [Fact]
    public void AnOldTempFileOfAnotherHostIsRemovedAfterADay()
    {
        var target = Path.GetFullPath(temp["adapter_model.safetensors"]);
        var other = $"{target}.otherhost-1.{Guid.NewGuid():N}.tmp";
        var recent = $"{target}.otherhost-2.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(other, "x");
        File.WriteAllText(recent, "x");
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddDays(-2));
        TempFiles.RemoveAbandoned(target);
        Assert.False(File.Exists(other));
        Assert.True(File.Exists(recent));    // its host may still be writing it
    }

    [Fact]
    public void AWriteThatFailsLeavesTheOldFileAndNoTempFile()
    {
        var target = temp["state.json"];
        AtomicFile.WriteAllText(target, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(target, s => { s.WriteByte(1); throw new IOException("disk full (simulated)"); }));
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(new[] { Path.GetFullPath(target) }, Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void AWriterThatClosesTheStreamStillGetsItsFileRenamedIntoPlace()
    {
        var target = temp["closed.bin"];
        AtomicFile.Write(target, s => { s.Write(new byte[] { 1, 2, 3 }); s.Dispose(); });
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
    }

    [Fact]
    public void LoadingAnAdapterRemovesTheTempFilesOfAKilledSave()
    {
        var folder = temp.Path;
        using var model = TinyModels.Classifier();
        var options = new LoraOptions { Rank = 2 };
        LoraInjector.Inject(model, options);
        PeftAdapter.Save(model, options, PeftTaskType.SequenceClassification, folder, "tiny");
        var orphan = TempFiles.NameFor(Path.GetFullPath(Path.Combine(folder, PeftAdapter.WeightsFileName)), CheckpointFileTests.DeadProcessId());
        File.WriteAllText(orphan, "half-written");
        using var fresh = TinyModels.Classifier();
        PeftAdapter.Load(fresh, PeftTaskType.SequenceClassification, folder);
        Assert.False(File.Exists(orphan));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }
}
