namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// A BERT encoder recovered from an ONNX export: its dimensions and its weights under the Hugging Face
/// <c>BertModel</c> state-dict names (no <c>bert.</c> prefix), Linear weights as [out, in], in state-dict order.
/// </summary>
internal sealed record OnnxBertCheckpoint(BertDimensions Dimensions, IReadOnlyList<KeyValuePair<string, FloatTensorData>> Tensors)
{
    public FloatTensorData this[string huggingFaceName] =>
        Tensors.FirstOrDefault(t => t.Key == huggingFaceName).Value
        ?? throw new KeyNotFoundException($"The checkpoint has no tensor named '{huggingFaceName}'.");
}
