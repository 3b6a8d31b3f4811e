using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Lora.IO;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// What a Hugging Face <c>config.json</c> says about the task model around the encoder: its class (<c>architectures</c>) and
/// the names of its outputs (<c>id2label</c>). Read beside a PEFT adapter and from a fine-tuned model folder.
/// </summary>
internal static class HuggingFaceModelConfig
{
    /// <summary>
    /// Reads <paramref name="path"/>: null when the file does not exist; <c>architectures</c> and <c>id2label</c> (ordered by
    /// id, which must run 0 … n−1) as found, each null when absent.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not JSON, or a key has the wrong type, or the ids are not 0 … n−1 (names the file and the key).</exception>
    public static (IReadOnlyList<string>? Architectures, IReadOnlyList<string>? Labels)? Read(string path)
    {
        if (!File.Exists(path)) return null;
        var o = JsonFields.Load(path);
        var architectures = o.Strings("architectures");
        if (o.Object("id2label") is not { } map) return (architectures, null);
        var byId = new SortedDictionary<int, string>();
        foreach (var p in map.Element.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                throw new InvalidDataException($"{path}: \"id2label\" has key \"{p.Name}\"; expected the ids 0, 1, 2, ... as strings.");
            if (p.Value.ValueKind != JsonValueKind.String) throw map.Wrong(p.Name, p.Value, "a label name (a string)");
            byId[id] = p.Value.GetString()!;
        }
        var labels = byId.Values.ToList();
        if (byId.Keys.Select((id, i) => id != i).Any(bad => bad))
            throw new InvalidDataException($"{path}: \"id2label\" has the ids [{string.Join(", ", byId.Keys)}]; expected 0 to {byId.Count - 1}.");
        return (architectures, labels);
    }

    /// <summary>The names a head of <paramref name="outputs"/> outputs gets without any: Hugging Face's <c>LABEL_0</c>, <c>LABEL_1</c>, ...</summary>
    public static IReadOnlyList<string> DefaultLabels(int outputs)
        => Enumerable.Range(0, outputs).Select(i => string.Create(CultureInfo.InvariantCulture, $"LABEL_{i}")).ToList();
}
