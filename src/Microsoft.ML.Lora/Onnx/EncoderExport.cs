using static Onnx.TensorProto.Types;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// The encoder's outputs as a head asks for them: every token's last hidden state, its mean over the real tokens (as
/// <c>EncoderModel.EncodeMean</c>), or only the first token's, for which the last layer computes its queries, output
/// projection and feed-forward on that token alone (its keys and values still see every token), as
/// <c>EncoderModel.EncodeFirstToken</c> does. The layers below the last are written once either way.
/// </summary>
internal sealed class EncoderExport
{
    private readonly EncoderGraph e;
    private string? belowLastLayer, sequenceOutput, firstToken, tokenMean;

    public EncoderExport(EncoderGraph encoderGraph) => e = encoderGraph;

    public OnnxGraphBuilder Graph => e.Graph;
    public ModelWeights Weights => e.Weights;
    public EncoderInputs Inputs => e.Inputs;

    /// <summary>The last hidden state [batch, sequence, hidden] (values at padded positions are not meaningful).</summary>
    public string SequenceOutput => sequenceOutput ??= LastLayer(BelowLastLayer, BelowLastLayer);

    /// <summary>The first token's last hidden state ([CLS] / &lt;s&gt;) [batch, hidden].</summary>
    public string FirstToken => firstToken ??= FirstTokenOutput();

    /// <summary>The mean of the last hidden state over the real tokens (attention mask 1; count clamped at 1e-9, as sentence-transformers) [batch, hidden].</summary>
    public string TokenMean => tokenMean ??= TokenMeanOutput();

    /// <summary>A projection slot of the model (see <see cref="LinearExport"/>).</summary>
    public string Linear(string module, string x, long inFeatures, long outFeatures) => LinearExport.Emit(Graph, Weights, module, x, inFeatures, outFeatures);

    private string BelowLastLayer => belowLastLayer ??= Layers();

    private string Layers()
    {
        var x = EmbeddingsExport.Emit(Graph, Weights, Inputs);
        for (int i = 0; i < Weights.Config.NumLayers - 1; i++) x = LayerExport.Emit(e, i, x, x);
        return x;
    }

    private string LastLayer(string x, string queries) => LayerExport.Emit(e, Weights.Config.NumLayers - 1, x, queries);

    private string FirstTokenOutput()
    {
        var g = Graph;
        if (sequenceOutput is not null) return g.Squeeze(g.Slice(sequenceOutput, 0, 1, axis: 1), 1);
        var first = g.Slice(BelowLastLayer, 0, 1, axis: 1);   // [batch, 1, hidden]
        return g.Squeeze(LastLayer(BelowLastLayer, first), 1);
    }

    private string TokenMeanOutput()
    {
        var g = Graph;
        // Padded positions hold values that mean nothing in the graph (the library's encoder zeroes them): mask them out.
        var mask = g.Unsqueeze(g.Cast(Inputs.AttentionMask, DataType.Float), 2);   // [batch, sequence, 1]
        var sum = g.ReduceSum(g.Mul(SequenceOutput, mask), axis: 1, keepDims: false);   // [batch, hidden]
        var tokens = g.Max(g.ReduceSum(mask, axis: 1, keepDims: false), g.Scalar(1e-9f));   // [batch, 1]
        return g.Div(sum, tokens);
    }
}
