using Microsoft.ML.Lora.IO;
using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>Writes models as Hugging Face folders (config.json + model.safetensors), e.g. to export a merged fine-tuned model.</summary>
internal static class HuggingFaceFolderWriter
{
    /// <summary>
    /// Writes <paramref name="config"/> and <paramref name="tensors"/> into <paramref name="folder"/> (created if needed).
    /// Each file goes to a temporary name first and is renamed into place, so a crash never leaves a half-written file.
    /// </summary>
    public static void Write(string folder, EncoderConfig config, IReadOnlyDictionary<string, Tensor> tensors)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        WriteSafetensors(Path.Combine(folder, "model.safetensors"), tensors);
    }

    /// <summary>Writes a safetensors file atomically (contiguous CPU copies of the tensors).</summary>
    public static void WriteSafetensors(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        AtomicFile.Write(path, s => SafetensorsWriter.Write(s, tensors));
    }
}
