using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests;

/// <summary>Tiny random encoders for unit tests (a few thousand parameters, milliseconds per step).</summary>
internal static class TinyModels
{
    public static EncoderConfig Config(EncoderArchitecture arch, int vocab = 64, int hidden = 16, int layers = 2, int heads = 2) => arch switch
    {
        EncoderArchitecture.Bert => new EncoderConfig
        {
            Architecture = arch, ModelType = "bert", VocabSize = vocab, HiddenSize = hidden, NumLayers = layers, NumHeads = heads,
            IntermediateSize = hidden * 2, MaxPositionEmbeddings = 64, TypeVocabSize = 2, PadTokenId = 0,
        },
        EncoderArchitecture.Roberta => new EncoderConfig
        {
            Architecture = arch, ModelType = "roberta", VocabSize = vocab, HiddenSize = hidden, NumLayers = layers, NumHeads = heads,
            IntermediateSize = hidden * 2, MaxPositionEmbeddings = 66, TypeVocabSize = 1, PadTokenId = 1, LayerNormEps = 1e-5,
        },
        _ => new EncoderConfig
        {
            Architecture = arch, ModelType = "distilbert", VocabSize = vocab, HiddenSize = hidden, NumLayers = layers, NumHeads = heads,
            IntermediateSize = hidden * 2, MaxPositionEmbeddings = 64, TypeVocabSize = 0, PadTokenId = 0, ClassifierDropout = 0.2,
        },
    };

    public static SequenceClassificationModel Classifier(EncoderArchitecture arch = EncoderArchitecture.Bert, int labels = 3, long seed = 1)
    {
        manual_seed(seed);
        var c = Config(arch);
        return new SequenceClassificationModel(EncoderModel.Create(c, addPoolingLayer: arch == EncoderArchitecture.Bert), labels);
    }

    /// <summary>Random ids in [2, vocab) with the last <paramref name="pad"/> positions of row 0 padded.</summary>
    public static (Tensor Ids, Tensor Mask) Batch(EncoderConfig c, int batch = 3, int length = 7, int pad = 2, long seed = 5)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        var ids = randint(2, c.VocabSize, new long[] { batch, length }, generator: g);
        var mask = ones(batch, length, dtype: ScalarType.Int64);
        if (pad > 0)
        {
            ids[0, TensorIndex.Slice(length - pad)] = c.PadTokenId;
            mask[0, TensorIndex.Slice(length - pad)] = 0;
        }
        return (ids, mask);
    }
}
