namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// The encoder's outputs as a head asks for them: every token's last hidden state, or only the first token's, for which the
/// last layer computes its queries, output projection and feed-forward on that token alone (its keys and values still see
/// every token), as <c>EncoderModel.EncodeFirstToken</c> does. The layers below the last are written once either way.
/// </summary>
internal sealed class EncoderExport
{
    private readonly EncoderGraph e;
    private string? belowLastLayer, sequenceOutput, firstToken;

    public EncoderExport(EncoderGraph encoderGraph) => e = encoderGraph;

    public OnnxGraphBuilder Graph => e.Graph;
    public ModelWeights Weights => e.Weights;
    public EncoderInputs Inputs => e.Inputs;

    /// <summary>The last hidden state [batch, sequence, hidden] (values at padded positions are not meaningful).</summary>
    public string SequenceOutput => sequenceOutput ??= LastLayer(BelowLastLayer, BelowLastLayer);

    /// <summary>The first token's last hidden state ([CLS] / &lt;s&gt;) [batch, hidden].</summary>
    public string FirstToken => firstToken ??= FirstTokenOutput();

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
}
