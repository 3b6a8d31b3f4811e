using System.Text.Json;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.IO;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>
/// A resumable snapshot of a training run: trainable weights, optimizer state, the best epoch's weights and the loop's
/// counters. Written to a temporary folder and swapped in by renames, so an interrupted write never damages the last good
/// one; a damaged file is reported with its path and what to do about it.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string FolderName = "checkpoint";
    private const string StateFile = "state.json", TrainableFile = "trainable.safetensors", BestFile = "best.safetensors", OptimizerFile = "optimizer.bin";
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

    /// <summary>
    /// Called before training starts: the folder must be writable now, not only at the first checkpoint an epoch later.
    /// Also removes staging folders of runs that were killed while writing a checkpoint.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder cannot be created or written (names it and the reason).</exception>
    public static void EnsureWritable(string directory)
    {
        var full = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(full);
            var probe = TempFiles.NameFor(Path.Combine(full, ".write-probe"));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new InvalidOperationException(
                $"CheckpointDirectory '{full}' is not writable ({e.Message}); checkpoints could not be saved. Pass a writable folder or set CheckpointDirectory to null.", e);
        }
        RemoveLeftovers(full);
    }

    public static void Save(string directory, LoopState state, IReadOnlyDictionary<string, Tensor> trainable,
        IReadOnlyDictionary<string, Tensor>? best, OptimizerHelper optimizer)
    {
        Directory.CreateDirectory(directory);
        RemoveLeftovers(directory);
        var staging = TempFiles.NameFor(Path.Combine(Path.GetFullPath(directory), FolderName));
        Directory.CreateDirectory(staging);
        try
        {
            HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(staging, TrainableFile), trainable);
            if (best is not null) HuggingFaceFolderWriter.WriteSafetensors(Path.Combine(staging, BestFile), best);
            AtomicFile.Write(Path.Combine(staging, OptimizerFile), s =>
            {
                using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(w);
            });
            // state.json last: a folder without it is incomplete and never read.
            AtomicFile.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(state, Json));
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
        if (File.Exists(Path.Combine(target, StateFile))) return target;
        // Interrupted between the two renames of Save: the previous checkpoint is still complete under its .old name.
        return Directory.GetDirectories(directory, FolderName + ".old-*")
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
    }

    /// <summary>
    /// Reads the loop's counters; when they belong to this run (<paramref name="fingerprint"/>), checks them against its
    /// <paramref name="epochs"/> and <paramref name="batchesPerEpoch"/>.
    /// </summary>
    public static LoopState ReadState(string folder, string fingerprint, int epochs, int batchesPerEpoch)
    {
        var path = Path.Combine(folder, StateFile);
        LoopState state;
        try { state = JsonSerializer.Deserialize<LoopState>(File.ReadAllText(path), Json) ?? throw Damaged(folder, StateFile, "it holds null"); }
        catch (JsonException e) { throw Damaged(folder, StateFile, $"not a training checkpoint state: {e.Message}", e); }
        catch (IOException e) { throw Damaged(folder, StateFile, e.Message, e); }
        if (state.Fingerprint != fingerprint) return state;
        string? bad =
            state.Epoch < 0 || state.Epoch > epochs ? $"epoch {state.Epoch} is outside this run's 0..{epochs}"
            : state.BatchesDoneInEpoch < 0 || state.BatchesDoneInEpoch > batchesPerEpoch ? $"batch {state.BatchesDoneInEpoch} is outside this run's 0..{batchesPerEpoch} batches per epoch"
            : state.GlobalStep < 0 || state.GlobalStep > (long)epochs * batchesPerEpoch ? $"step {state.GlobalStep} is outside this run's 0..{(long)epochs * batchesPerEpoch}"
            : state.Epochs is null || state.StepLosses is null ? "epoch or step history is missing"
            : null;
        if (bad is not null) throw Damaged(folder, StateFile, bad);
        return state;
    }

    /// <summary>The trainable tensors saved in <paramref name="folder"/>; each of <paramref name="names"/> must be there with the model's shape.</summary>
    public static Dictionary<string, Tensor> ReadTrainable(string folder, nn.Module model, IReadOnlyList<string> names) => ReadTensors(folder, TrainableFile, model, names);

    /// <summary>The best epoch's tensors, when the checkpoint has them.</summary>
    public static Dictionary<string, Tensor>? ReadBest(string folder, nn.Module model, IReadOnlyList<string> names)
        => File.Exists(Path.Combine(folder, BestFile)) ? ReadTensors(folder, BestFile, model, names) : null;

    public static void LoadOptimizer(string folder, OptimizerHelper optimizer)
    {
        var path = Path.Combine(folder, OptimizerFile);
        try
        {
            using var f = File.OpenRead(path);
            using var r = new BinaryReader(f);
            optimizer.load_state_dict(r);
            if (f.Position != f.Length) throw new InvalidDataException($"{f.Length - f.Position} bytes follow the optimizer state");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw Damaged(folder, OptimizerFile, e is EndOfStreamException ? "it is truncated" : e.Message, e);
        }
    }

    /// <summary>Removes the checkpoint after a run has finished: it would otherwise be "resumed" into a finished run.</summary>
    public static void Delete(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var d in Directory.GetDirectories(directory, FolderName + "*")) Directory.Delete(d, recursive: true);
    }

    private static Dictionary<string, Tensor> ReadTensors(string folder, string file, nn.Module model, IReadOnlyList<string> names)
    {
        var path = Path.Combine(folder, file);
        SafetensorsHeader header;
        try { header = SafetensorsHeader.Read(path); }
        catch (Exception e) when (e is InvalidDataException or IOException) { throw Damaged(folder, file, e.Message, e); }
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in names)
        {
            if (!header.Tensors.TryGetValue(name, out var entry))
                throw Damaged(folder, file, $"tensor '{name}' is missing");
            if (!entry.Shape.SequenceEqual(parameters[name].shape))
                throw Damaged(folder, file, $"tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the model [{string.Join(", ", parameters[name].shape)}]");
        }
        try { return Safetensors.LoadStateDict(path); }
        catch (Exception e) when (e is not OutOfMemoryException) { throw Damaged(folder, file, e.Message, e); }
    }

    private static InvalidDataException Damaged(string folder, string file, string what, Exception? inner = null)
        => new($"{Path.Combine(folder, file)}: the training checkpoint is damaged ({what}). Delete the folder {Path.GetDirectoryName(Path.GetFullPath(folder))} " +
               "or pass a new CheckpointDirectory to start afresh.", inner);

    /// <summary>Staging folders of killed runs, and the previous checkpoint once a newer one is complete.</summary>
    private static void RemoveLeftovers(string directory)
    {
        TempFiles.RemoveAbandoned(Path.Combine(Path.GetFullPath(directory), FolderName));
        if (!File.Exists(Path.Combine(directory, FolderName, StateFile))) return;
        foreach (var old in Directory.GetDirectories(directory, FolderName + ".old-*"))
        {
            try { Directory.Delete(old, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
