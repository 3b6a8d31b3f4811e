namespace Microsoft.ML.Lora.Onnx.Heads;

/// <summary>
/// <see cref="Models.QuestionAnsweringModel"/>'s head: <c>qa_outputs</c> (Linear(hidden, 2)) on every token, split as Hugging
/// Face's <c>*ForQuestionAnswering</c> returns it. Outputs <c>start_logits</c> and <c>end_logits</c> [batch, sequence].
/// </summary>
internal sealed class SpanOnnxHead : IOnnxHead
{
    public static SpanOnnxHead Instance { get; } = new();

    public string HuggingFaceClassSuffix => "ForQuestionAnswering";

    public IReadOnlyList<OnnxOutput> Emit(EncoderExport encoder, int numLabels)
    {
        var g = encoder.Graph;
        long h = encoder.Weights.Config.HiddenSize;
        var logits = encoder.Linear("qa_outputs", encoder.SequenceOutput, h, 2);   // [batch, sequence, 2]
        string[] dims = { "batch", "sequence" };
        return new[]
        {
            new OnnxOutput("start_logits", g.Squeeze(g.Slice(logits, 0, 1, axis: 2), 2), dims),
            new OnnxOutput("end_logits", g.Squeeze(g.Slice(logits, 1, 2, axis: 2), 2), dims),
        };
    }
}
