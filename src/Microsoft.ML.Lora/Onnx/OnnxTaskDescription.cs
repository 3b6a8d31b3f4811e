using System.Text.Json.Nodes;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// What a task tells the exporter: its Hugging Face pipeline name ("text-classification"), the ONNX form of its head, the
/// label names in output order (null when the model has none), and how its predictions come from the outputs (written
/// into <c>scoring.json</c>: temperature, post-processing, input conventions).
/// </summary>
internal sealed record OnnxTaskDescription(string Task, IOnnxHead Head, IReadOnlyList<string>? Labels, JsonObject Scoring);
