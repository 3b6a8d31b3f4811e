namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// The ONNX form of a task head: what it reads from the encoder and the graph outputs it produces. Each head kind provides
/// one (<c>Onnx/Heads/</c>) and each task names the one its model has, so the shared exporter never knows which task it writes.
/// </summary>
internal interface IOnnxHead
{
    /// <summary>The Hugging Face model class suffix, e.g. "ForSequenceClassification" (config.json's <c>architectures</c>).</summary>
    string HuggingFaceClassSuffix { get; }

    /// <summary>Writes the head on top of <paramref name="encoder"/> and returns the graph outputs.</summary>
    IReadOnlyList<OnnxOutput> Emit(EncoderExport encoder, int numLabels);
}

/// <summary>A float32 graph output: its name, the value that feeds it and its dimensions ("batch", "sequence" or a size).</summary>
internal sealed record OnnxOutput(string Name, string Value, IReadOnlyList<string> Dims);
