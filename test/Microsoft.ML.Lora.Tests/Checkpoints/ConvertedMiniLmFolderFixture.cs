using System.Diagnostics;
using Microsoft.ML.Lora.Checkpoints;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

/// <summary>Converts the embedded MiniLM once into a private temporary cache for the tests that read the folder.</summary>
public sealed class ConvertedMiniLmFolderFixture : IDisposable
{
    public ConvertedMiniLmFolderFixture()
    {
        CacheRoot = MiniLmTestAssets.NewTempDirectory();
        var watch = Stopwatch.StartNew();
        Folder = EmbeddedMiniLm.EnsureHuggingFaceFolder(CacheRoot, FirstCallLog.Add);
        ConversionTime = watch.Elapsed;
    }

    public string CacheRoot { get; }

    public string Folder { get; }

    public List<string> FirstCallLog { get; } = [];

    public TimeSpan ConversionTime { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(CacheRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
