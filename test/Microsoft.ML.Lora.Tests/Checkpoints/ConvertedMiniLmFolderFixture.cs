using System.Diagnostics;
using Microsoft.ML.Lora.Checkpoints;

namespace Microsoft.ML.Lora.Tests.Checkpoints;

/// <summary>Converts the embedded MiniLM once into a private temporary cache for the tests that read the folder.</summary>
public sealed class ConvertedMiniLmFolderFixture : IDisposable
{
    public ConvertedMiniLmFolderFixture()
    {
        CacheRoot = _cache.Path;
        var watch = Stopwatch.StartNew();
        Folder = EmbeddedMiniLm.EnsureHuggingFaceFolder(CacheRoot, FirstCallLog.Add);
        ConversionTime = watch.Elapsed;
    }

    private readonly TempFolder _cache = new("lora-test-minilm-");

    public string CacheRoot { get; }

    public string Folder { get; }

    public List<string> FirstCallLog { get; } = [];

    public TimeSpan ConversionTime { get; }

    public void Dispose() => _cache.Dispose();
}
