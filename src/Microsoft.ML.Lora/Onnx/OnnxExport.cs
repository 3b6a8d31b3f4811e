using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Tokenization;
using Onnx;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>The fine-tuned model an export reads: weights in inference form, tokenizer, longest input and provenance.</summary>
internal sealed record OnnxExportSource(TaskModel Model, TextTokenizer Tokenizer, int MaxSequenceLength, string BaseModel, string Method);

/// <summary>
/// Writes an exported model and what another runtime needs to score with it, into the folder of the .onnx file:
/// <c>scoring.json</c> (task, inputs, outputs, labels, tokenization and post-processing), the tokenizer files
/// (<see cref="HuggingFaceTokenizerWriter"/>), a Hugging Face <c>config.json</c> (with <c>id2label</c>, so Optimum's
/// <c>ORTModelFor…</c> classes load the folder), then the .onnx file itself. Every file is written under a temporary name
/// and renamed; the model comes last, so a folder with the model holds all of it.
/// </summary>
internal static class OnnxExport
{
    public const string ScoringFileName = "scoring.json", ConfigFileName = "config.json";
    private const string Format = "Microsoft.ML.Lora ONNX export";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The files written beside the model.</summary>
    public static IReadOnlyList<string> CompanionFiles { get; } =
        new[] { ScoringFileName, ConfigFileName }.Concat(HuggingFaceTokenizerWriter.FileNames).ToArray();

    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="InvalidOperationException">The folder holds another model's export.</exception>
    /// <exception cref="NotSupportedException">The model holds a module the exporter cannot write.</exception>
    public static void Write(string path, OnnxExportSource source, OnnxTaskDescription task)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"'{full}' is a folder; give the path of the .onnx file to write (e.g. '{Path.Combine(full, "model.onnx")}').", nameof(path));
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot export to '{full}': the folder '{folder}' does not exist.");
        string modelFile = Path.GetFileName(full);
        RefuseOtherExport(folder, modelFile);

        var model = OnnxModelBuilder.Build(source.Model, task.Head,
            $"{task.Task} fine-tuned from {source.BaseModel} with {source.Method} by Microsoft.ML.Lora; see {ScoringFileName}.");
        var scoring = Scoring(source, task, modelFile, model.Graph);
        model.MetadataProps.Add(new StringStringEntryProto { Key = "microsoft.ml.lora.scoring", Value = scoring.ToJsonString() });

        AtomicFile.WriteAllText(Path.Combine(folder, ScoringFileName), scoring.ToJsonString(Indented));
        HuggingFaceTokenizerWriter.Write(folder, source.Tokenizer, source.MaxSequenceLength, model.Graph.Input.Select(i => i.Name).ToList());
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), HuggingFaceConfig(source, task).ToJsonString(Indented));
        AtomicFile.Write(full, model.WriteTo);
    }

    /// <summary>Companion files of another export (or of something else) are not overwritten silently.</summary>
    private static void RefuseOtherExport(string folder, string modelFile)
    {
        string scoringPath = Path.Combine(folder, ScoringFileName);
        string? owner = null;
        if (File.Exists(scoringPath))
        {
            try { owner = (JsonNode.Parse(File.ReadAllText(scoringPath)) as JsonObject) is { } o && o["format"]?.GetValue<string>() == Format ? o["model_file"]?.GetValue<string>() : null; }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { owner = null; }
        }
        if (owner == modelFile) return;
        var present = CompanionFiles.Where(f => File.Exists(Path.Combine(folder, f))).ToList();
        if (present.Count == 0) return;
        throw new InvalidOperationException(owner is null
            ? $"Cannot export '{modelFile}' into '{folder}': it already has {string.Join(", ", present)}, not written by an export of '{modelFile}'. Export into an empty folder."
            : $"Cannot export '{modelFile}' into '{folder}': it holds the export of '{owner}' ({ScoringFileName} names it). Export each model into its own folder.");
    }

    private static JsonObject Scoring(OnnxExportSource source, OnnxTaskDescription task, string modelFile, GraphProto graph)
    {
        var c = source.Model.Encoder.Config;
        var o = source.Tokenizer.Options;
        JsonObject Input(string name, string description) => new()
        {
            ["name"] = name, ["type"] = "int64", ["shape"] = new JsonArray("batch", "sequence"), ["description"] = description,
        };
        var inputs = new JsonArray(
            Input(OnnxModelBuilder.InputIds, $"token ids, rows padded on the right with pad_token_id {source.Tokenizer.PadId}"),
            Input(OnnxModelBuilder.AttentionMask, "1 for tokens, 0 for padding"));
        if (OnnxModelBuilder.TakesTokenTypes(c))
            inputs.Add(Input(OnnxModelBuilder.TokenTypeIds, "0 for [CLS], the first text and its [SEP]; 1 for a second text and its [SEP]"));
        var json = new JsonObject
        {
            ["format"] = Format, ["format_version"] = 1, ["model_file"] = modelFile, ["task"] = task.Task,
            ["model_type"] = c.ModelType, ["base_model"] = source.BaseModel, ["method"] = source.Method, ["opset"] = OnnxGraphBuilder.Opset,
            ["inputs"] = inputs,
            ["outputs"] = new JsonArray(OutputsOf(graph)),
            ["max_sequence_length"] = source.MaxSequenceLength,
            ["tokenizer"] = new JsonObject
            {
                ["files"] = new JsonArray(HuggingFaceTokenizerWriter.FileNames.Select(f => (JsonNode?)f).ToArray()),
                ["type"] = "BERT WordPiece", ["lower_case"] = o.LowerCase, ["strip_accents"] = o.ShouldStripAccents, ["clean_text"] = o.CleanText,
                ["tokenize_chinese_chars"] = o.SplitCjkIdeographs, ["continuing_subword_prefix"] = o.ContinuingSubwordPrefix,
                ["max_input_chars_per_word"] = o.MaxInputCharsPerWord,
                ["cls_token"] = o.ClassificationToken, ["sep_token"] = o.SeparatorToken, ["pad_token"] = o.PaddingToken, ["unk_token"] = o.UnknownToken,
                ["pad_token_id"] = source.Tokenizer.PadId,
                ["template"] = "[CLS] text [SEP], or [CLS] text [SEP] pair [SEP]",
                ["truncation"] = "longest_first: word pieces cut from the end of the longer text until max_sequence_length tokens (special tokens included) remain",
            },
            ["labels"] = task.Labels is null ? null : new JsonArray(task.Labels.Select(l => (JsonNode?)l).ToArray()),
        };
        foreach (var (key, value) in task.Scoring) json[key] = value?.DeepClone();
        return json;
    }

    private static JsonNode?[] OutputsOf(GraphProto graph) => graph.Output.Select(o => (JsonNode?)new JsonObject
    {
        ["name"] = o.Name, ["type"] = "float32",
        ["shape"] = new JsonArray(o.Type.TensorType.Shape.Dim.Select(d => d.HasDimValue ? (JsonNode?)d.DimValue : d.DimParam).ToArray()),
    }).ToArray();

    private static JsonObject HuggingFaceConfig(OnnxExportSource source, OnnxTaskDescription task)
    {
        var c = source.Model.Encoder.Config;
        var config = (JsonObject)JsonNode.Parse(c.ToJson())!;
        string family = c.ModelType switch
        {
            "roberta" => "Roberta",
            "xlm-roberta" => "XLMRoberta",
            "camembert" => "Camembert",
            "distilbert" => "DistilBert",
            _ => "Bert",
        };
        config["architectures"] = new JsonArray($"{family}{task.Head.HuggingFaceClassSuffix}");
        var labels = task.Labels ?? Enumerable.Range(0, source.Model.NumLabels).Select(i => $"LABEL_{i}").ToArray();
        config["id2label"] = new JsonObject(labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)l)));
        config["label2id"] = new JsonObject(labels.Select((l, i) => (Label: l, Id: i)).DistinctBy(p => p.Label).Select(p => KeyValuePair.Create(p.Label, (JsonNode?)p.Id)));
        config["torch_dtype"] = "float32";
        return config;
    }
}
