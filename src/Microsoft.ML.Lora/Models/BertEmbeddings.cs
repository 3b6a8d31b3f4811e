using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>BERT / RoBERTa embeddings: word + position + token type, then LayerNorm and dropout.</summary>
internal sealed class BertEmbeddings : NamedModule
{
    private readonly EmbeddingTable word_embeddings, position_embeddings;
    private readonly EmbeddingTable? token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;
    private readonly bool robertaPositions;
    private readonly long padId;

    public BertEmbeddings(EncoderConfig c) : base("embeddings")
    {
        word_embeddings = new EmbeddingTable(c.VocabSize, c.HiddenSize, paddingIndex: c.PadTokenId);
        position_embeddings = new EmbeddingTable(c.MaxPositionEmbeddings, c.HiddenSize);
        if (c.TypeVocabSize > 0) token_type_embeddings = new EmbeddingTable(c.TypeVocabSize, c.HiddenSize);
        LayerNorm = nn.LayerNorm(c.HiddenSize, c.LayerNormEps);
        dropout = new FastDropout(c.HiddenDropout);
        robertaPositions = c.Architecture == EncoderArchitecture.Roberta;
        padId = c.PadTokenId;
        RegisterComponents();
    }

    public Tensor forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        long t = inputIds.shape[1];
        // RoBERTa numbers real tokens from padding_idx + 1 and gives padding the padding position (HF create_position_ids_from_input_ids).
        Tensor positions = robertaPositions
            ? NonPadPositions(inputIds)
            : arange(t, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        // Tables may be stored in bfloat16 (frozen, mixed precision); the sum and LayerNorm are float32.
        var x = Lookup.Float32(word_embeddings, inputIds).add_(Lookup.Float32(position_embeddings, positions));
        if (token_type_embeddings is not null)
            x.add_(tokenTypeIds is null
                ? token_type_embeddings.weight![0]   // all-zero token types: broadcast row 0 instead of a lookup
                : Lookup.Float32(token_type_embeddings, tokenTypeIds));
        return dropout.forward(LayerNorm.forward(x));
    }

    private Tensor NonPadPositions(Tensor inputIds)
    {
        var notPad = inputIds.ne(padId).to(ScalarType.Int64);
        return notPad.cumsum(1) * notPad + padId;
    }
}

/// <summary>Embedding lookups in float32 whatever type the table is stored in.</summary>
internal static class Lookup
{
    public static Tensor Float32(EmbeddingTable table, Tensor ids)
    {
        var rows = table.forward(ids);
        return rows.dtype == ScalarType.Float32 ? rows : rows.to(ScalarType.Float32);
    }
}
