using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Training;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Faults;

/// <summary>kill -9 while a training run writes its checkpoints (one per step): the next run resumes and finishes the same.</summary>
public class KillDuringTrainingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    // Long enough that three kills (each after one more checkpoint plus up to 300 ms) never reach the end of training on a fast
    // machine: a run that finishes deletes its checkpoints, which would look like a lost checkpoint.
    private const string Epochs = "40";

    [Fact]
    public void AfterEachKillTheCheckpointIsReadableAndTheFinalRunResumesToTheUninterruptedResult()
    {
        using var temp = new TempFolder();
        var baseFolder = TinyHuggingFaceFolder.Create(temp);
        var checkpoints = temp["checkpoints"];
        var random = new Random(17);
        for (int kill = 0; kill < 3; kill++)
        {
            using var child = new KillableChild(null, "train", baseFolder, checkpoints, Epochs);
            var before = CheckpointStep(checkpoints);
            // Let it write at least one checkpoint beyond the last kill's, then kill it at a random moment of the write cycle.
            child.WaitUntil(() => CheckpointStep(checkpoints) > before, Patience, "a new checkpoint");
            Thread.Sleep(random.Next(0, 300));
            child.Kill();
            Assert.True(child.Value("accuracy") is null && child.Value("resumed") is null, $"the run finished before kill {kill}; make it longer:\n{child.Output}");
            // Either the newest or the previous checkpoint is complete; every file of it parses.
            var found = TrainingCheckpoint.Find(checkpoints);
            Assert.True(found is not null, $"no complete checkpoint after kill {kill}: {string.Join(", ", Directory.GetFileSystemEntries(checkpoints))}");
            SafetensorsHeader.Read(Path.Combine(found!, "trainable.safetensors"));
            Assert.Contains("\"GlobalStep\"", File.ReadAllText(Path.Combine(found!, "state.json")));
        }

        using var last = new KillableChild(null, "train", baseFolder, checkpoints, Epochs);
        Assert.True(last.WaitForExit(Patience) == 0, last.Output);
        Assert.Equal("True", last.Value("resumed"));
        // Finished: the checkpoint folder holds no checkpoint, staging folder or temp file any more.
        Assert.Empty(Directory.GetFileSystemEntries(checkpoints));

        using var uninterrupted = new KillableChild(null, "train", baseFolder, temp["fresh"], Epochs);
        Assert.True(uninterrupted.WaitForExit(Patience) == 0, uninterrupted.Output);
        Assert.Equal("False", uninterrupted.Value("resumed"));
        Assert.Equal(uninterrupted.Value("score"), last.Value("score"));
    }

    private static long CheckpointStep(string directory)
    {
        try
        {
            var found = TrainingCheckpoint.Find(directory);
            if (found is null) return -1;
            var text = File.ReadAllText(Path.Combine(found, "state.json"));
            int at = text.IndexOf("\"GlobalStep\":", StringComparison.Ordinal) + "\"GlobalStep\":".Length;
            return long.Parse(text[at..].Split(',', '}')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return -1;   // a rename in flight: look again
        }
    }
}
