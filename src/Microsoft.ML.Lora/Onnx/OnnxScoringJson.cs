using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Tokenization;
using Onnx;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// The descriptions written beside an exported model: <c>scoring.json</c>, everything another runtime needs to reproduce the
/// library's scores (inputs and their conventions, outputs, maximum length, tokenizer settings, labels, and the task's
/// post-processing such as the temperature), and a Hugging Face <c>config.json</c> with <c>id2label</c>.
/// </summary>
internal static class OnnxScoringJson
{
    public const string Format = "Microsoft.ML.Lora ONNX export";

    public static JsonObject Create(OnnxExportSource source, OnnxTaskDescription task, string modelFile, GraphProto graph)
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

    public static JsonObject HuggingFaceConfig(OnnxExportSource source, OnnxTaskDescription task)
    {
        var c = source.Model.Encoder.Config;
        var labels = task.Labels ?? HuggingFaceModelConfig.DefaultLabels(source.Model.NumLabels);
        var config = (JsonObject)JsonNode.Parse(c.ToJson(c.HuggingFaceClassPrefix + task.Head.HuggingFaceClassSuffix, labels))!;
        config["torch_dtype"] = "float32";   // the export's weights, whatever the base's dtype (DistilBERT's config omits it)
        return config;
    }
}
