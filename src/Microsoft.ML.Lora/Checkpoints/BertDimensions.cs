using System.Globalization;
using System.Text.Json;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// The architecture numbers of a BERT checkpoint recovered from its weights and graph, and their rendering as a
/// Hugging Face <c>BertConfig</c> <c>config.json</c>.
/// </summary>
internal sealed record BertDimensions(
    int VocabSize,
    int HiddenSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int IntermediateSize,
    int MaxPositionEmbeddings,
    int TypeVocabSize,
    double LayerNormEps,
    string HiddenAct)
{
    /// <summary>A <c>config.json</c> as <c>transformers.BertConfig.to_json_string()</c> would write it for a <c>BertModel</c>.</summary>
    public string ToHuggingFaceConfigJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue("BertModel");
            json.WriteEndArray();
            // Training-time dropout of the original model; it matters only to whoever fine-tunes from this folder.
            json.WriteNumber("attention_probs_dropout_prob", 0.1);
            json.WriteString("hidden_act", HiddenAct);
            json.WriteNumber("hidden_dropout_prob", 0.1);
            json.WriteNumber("hidden_size", HiddenSize);
            json.WriteNumber("initializer_range", 0.02);
            json.WriteNumber("intermediate_size", IntermediateSize);
            // Written as text so that 1e-12 read from a float32 graph constant is not printed as 9.999999960041972E-13.
            json.WritePropertyName("layer_norm_eps");
            json.WriteRawValue(LayerNormEps.ToString("R", CultureInfo.InvariantCulture));
            json.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
            json.WriteString("model_type", "bert");
            json.WriteNumber("num_attention_heads", NumAttentionHeads);
            json.WriteNumber("num_hidden_layers", NumHiddenLayers);
            json.WriteNumber("pad_token_id", 0);
            json.WriteString("position_embedding_type", "absolute");
            json.WriteString("torch_dtype", "float32");
            json.WriteNumber("type_vocab_size", TypeVocabSize);
            json.WriteBoolean("use_cache", true);
            json.WriteNumber("vocab_size", VocabSize);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
