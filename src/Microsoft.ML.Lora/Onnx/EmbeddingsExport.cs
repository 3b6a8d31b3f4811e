using Microsoft.ML.Lora.Models;
using static Onnx.TensorProto.Types;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// The embeddings block as <c>BertEmbeddings</c> / <c>DistilBertEmbeddings</c> compute it: word + position (+ token type)
/// embeddings, then LayerNorm. BERT and DistilBERT number positions 0…T−1; RoBERTa numbers real tokens from
/// <c>padding_idx + 1</c> and gives padding the padding position, computed in the graph from the input ids (Hugging Face's
/// <c>create_position_ids_from_input_ids</c>). RoBERTa's single token type is a constant row.
/// </summary>
internal static class EmbeddingsExport
{
    /// <summary>[batch, sequence, hidden].</summary>
    public static string Emit(OnnxGraphBuilder g, ModelWeights w, EncoderInputs inputs)
    {
        var c = w.Config;
        string p = $"{w.Root}.embeddings";
        using var _ = g.Scope(p);
        long h = c.HiddenSize;
        var words = g.Initializer($"{p}.word_embeddings.weight", w.Values($"{p}.word_embeddings.weight", c.VocabSize, h), new long[] { c.VocabSize, h });
        var positionTable = g.Initializer($"{p}.position_embeddings.weight", w.Values($"{p}.position_embeddings.weight", c.MaxPositionEmbeddings, h),
            new long[] { c.MaxPositionEmbeddings, h });
        var x = g.Add(g.Gather(words, inputs.InputIds), Positions(g, c, positionTable, inputs.InputIds));
        if (c.TypeVocabSize > 0)
        {
            string name = $"{p}.token_type_embeddings.weight";
            var types = w.Values(name, c.TypeVocabSize, h);
            x = inputs.TokenTypeIds is { } ids
                ? g.Add(x, g.Gather(g.Initializer(name, types, new long[] { c.TypeVocabSize, h }), ids))
                : g.Add(x, g.Initializer($"{name}.row0", types[..(int)h], new[] { h }, "token type 0 (the model takes no token_type_ids)"));
        }
        return LayerNormExport.Emit(g, w, $"{p}.LayerNorm", x);
    }

    private static string Positions(OnnxGraphBuilder g, EncoderConfig c, string table, string inputIds)
    {
        if (c.Architecture != EncoderArchitecture.Roberta)
            return g.Slice(table, 0, g.Shape(inputIds, 1, 2), axis: 0);   // rows 0…T−1, broadcast over the batch
        // cumsum(ids != pad) · (ids != pad) + pad
        var pad = g.Int64s(c.PadTokenId);
        var notPad = g.Cast(g.Not(g.Equal(inputIds, pad)), DataType.Int64);
        var positions = g.Add(g.Mul(g.CumSum(notPad, axis: 1), notPad), pad);
        return g.Gather(table, positions);
    }
}

/// <summary>The graph inputs the encoder reads; <see cref="TokenTypeIds"/> is null for models that take none.</summary>
internal sealed record EncoderInputs(string InputIds, string AttentionMask, string? TokenTypeIds);
