using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// The architecture numbers of a BERT checkpoint recovered from its weights and graph, as an <see cref="EncoderConfig"/>
/// (which writes the <c>config.json</c>).
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
    /// <summary>The encoder config of these numbers, with the original model's training-time dropout (0.1).</summary>
    public EncoderConfig ToEncoderConfig() => new()
    {
        Architecture = EncoderArchitecture.Bert, ModelType = "bert", VocabSize = VocabSize, HiddenSize = HiddenSize, NumLayers = NumHiddenLayers,
        NumHeads = NumAttentionHeads, IntermediateSize = IntermediateSize, HiddenAct = HiddenAct, HiddenDropout = 0.1, AttentionDropout = 0.1,
        MaxPositionEmbeddings = MaxPositionEmbeddings, TypeVocabSize = TypeVocabSize, LayerNormEps = LayerNormEps, PadTokenId = 0,
    };

    /// <summary>A <c>config.json</c> as <c>transformers.BertConfig.to_json_string()</c> would write it for a <c>BertModel</c>.</summary>
    public string ToHuggingFaceConfigJson() => ToEncoderConfig().ToJson();
}
