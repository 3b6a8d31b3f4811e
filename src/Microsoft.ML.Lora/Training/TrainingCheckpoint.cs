using System.Text.Json;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.IO;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>
/// A resumable snapshot of a training run: trainable weights, optimizer state, the best epoch's weights and the loop's
/// counters. Written to a temporary folder and swapped in by renames, so an interrupted write never damages the last good one.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string FolderName = "checkpoint";
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public sealed class LoopState
    {
        public string Fingerprint { get; set; } = "";
        public int Epoch { get; set; }
        public int BatchesDoneInEpoch { get; set; }
        public long GlobalStep { get; set; }
        public double EpochLossSum { get; set; }
        public int EpochLossCount { get; set; }
        public double BestMetric { get; set; } = double.NegativeInfinity;
        public int BestEpoch { get; set; }
        public int EpochsWithoutImprovement { get; set; }
        public bool HasBestSnapshot { get; set; }
        public List<EpochSummary> Epochs { get; set; } = new();
        public List<float> StepLosses { get; set; } = new();
    }

    public static void Save(string directory, LoopState state, IReadOnlyDictionary<string, Tensor> trainable,
        IReadOnlyDictionary<string, Tensor>? best, OptimizerHelper optimizer)
    {
        Directory.CreateDirectory(directory);
        var staging = Path.Combine(directory, $"{FolderName}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(staging, "trainable.safetensors"), trainable);
            if (best is not null) HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(staging, "best.safetensors"), best);
            using (var f = new FileStream(Path.Combine(staging, "optimizer.bin"), FileMode.Create))
            using (var w = new BinaryWriter(f))
                optimizer.save_state_dict(w);
            // state.json last: a folder without it is incomplete and never read.
            AtomicFile.WriteAllText(Path.Combine(staging, "state.json"), JsonSerializer.Serialize(state, Json));
            var target = Path.Combine(directory, FolderName);
            string? old = null;
            if (Directory.Exists(target))
            {
                old = Path.Combine(directory, $"{FolderName}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
            }
            Directory.Move(staging, target);
            if (old is not null) Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The newest complete checkpoint in <paramref name="directory"/>, or null.</summary>
    public static string? Find(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var target = Path.Combine(directory, FolderName);
        if (File.Exists(Path.Combine(target, "state.json"))) return target;
        // Interrupted between the two renames of Save: the previous checkpoint is still complete under its .old name.
        return Directory.GetDirectories(directory, FolderName + ".old-*")
            .Where(d => File.Exists(Path.Combine(d, "state.json")))
            .OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
    }

    public static LoopState ReadState(string folder)
    {
        var path = Path.Combine(folder, "state.json");
        try { return JsonSerializer.Deserialize<LoopState>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty."); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a training checkpoint state ({e.Message}).", e); }
    }

    public static Dictionary<string, Tensor> ReadTensors(string folder, string name) => Safetensors.LoadStateDict(Path.Combine(folder, name));

    public static bool HasBest(string folder) => File.Exists(Path.Combine(folder, "best.safetensors"));

    public static void LoadOptimizer(string folder, OptimizerHelper optimizer)
    {
        using var f = File.OpenRead(Path.Combine(folder, "optimizer.bin"));
        using var r = new BinaryReader(f);
        optimizer.load_state_dict(r);
    }

    /// <summary>Removes the checkpoint after a run has finished: it would otherwise be "resumed" into a finished run.</summary>
    public static void Delete(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var d in Directory.GetDirectories(directory, FolderName + "*")) Directory.Delete(d, recursive: true);
    }
}
