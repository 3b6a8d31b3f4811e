using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests;

/// <summary>A tiny random BERT-family checkpoint written as a Hugging Face folder, with a small word vocabulary.</summary>
internal static class TinyHuggingFaceFolder
{
    public static readonly string[] Words =
    {
        "good", "great", "excellent", "happy", "bad", "awful", "terrible", "sad", "the", "stock", "market", "is", "was", "very",
        "today", "news", "apple", "google", "london", "paris", "john", "mary", "said", "in", "at", "met", "visited", "company",
        "profit", "loss", "up", "down", "flat", "neutral", "okay", "shares", "##s", "##ing", "##ed", "un", "##believ", "##able",
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
        ".", ",", "!", "?", "$", "+", "-",
    };

    /// <summary>Writes the folder and returns its path (inside <paramref name="parent"/>).</summary>
    public static string Create(TempFolder parent, EncoderArchitecture arch = EncoderArchitecture.Bert, int hidden = 64, int layers = 2, long seed = 7, double std = 0.1)
    {
        var folder = Path.Combine(parent.Path, $"tiny-{arch}-{hidden}-{std}".ToLowerInvariant());
        var vocab = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Words).ToArray();
        var config = TinyModels.Config(arch, vocab: vocab.Length, hidden: hidden, layers: layers, heads: 2) with
        {
            PadTokenId = 0,
            HiddenDropout = 0.0,
            AttentionDropout = 0.0,
            MaxPositionEmbeddings = 66,
        };
        manual_seed(seed);
        using var model = EncoderModel.Create(config, addPoolingLayer: arch == EncoderArchitecture.Bert);
        // BERT's std 0.02 makes a tiny random model's features nearly constant; a larger spread gives them something to say.
        WeightInit.BertInit(model, std: std);
        HuggingFaceFolderWriter.Write(folder, config, model.state_dict());
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocab);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"do_lower_case\": true}");
        return folder;
    }
}
