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
        var scoring = OnnxScoringJson.Create(source, task, modelFile, model.Graph);
        model.MetadataProps.Add(new StringStringEntryProto { Key = "microsoft.ml.lora.scoring", Value = scoring.ToJsonString() });

        AtomicFile.WriteAllText(Path.Combine(folder, ScoringFileName), scoring.ToJsonString(Indented));
        HuggingFaceTokenizerWriter.Write(folder, source.Tokenizer, source.MaxSequenceLength, model.Graph.Input.Select(i => i.Name).ToList());
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), OnnxScoringJson.HuggingFaceConfig(source, task).ToJsonString(Indented));
        AtomicFile.Write(full, model.WriteTo);
    }

    /// <summary>Companion files of another export (or of something else) are not overwritten silently.</summary>
    private static void RefuseOtherExport(string folder, string modelFile)
    {
        string scoringPath = Path.Combine(folder, ScoringFileName);
        string? owner = null;
        if (File.Exists(scoringPath))
        {
            try { owner = (JsonNode.Parse(File.ReadAllText(scoringPath)) as JsonObject) is { } o && o["format"]?.GetValue<string>() == OnnxScoringJson.Format ? o["model_file"]?.GetValue<string>() : null; }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { owner = null; }
        }
        if (owner == modelFile) return;
        var present = CompanionFiles.Where(f => File.Exists(Path.Combine(folder, f))).ToList();
        if (present.Count == 0) return;
        throw new InvalidOperationException(owner is null
            ? $"Cannot export '{modelFile}' into '{folder}': it already has {string.Join(", ", present)}, not written by an export of '{modelFile}'. Export into an empty folder."
            : $"Cannot export '{modelFile}' into '{folder}': it holds the export of '{owner}' ({ScoringFileName} names it). Export each model into its own folder.");
    }
}
