namespace Microsoft.ML.Lora.Tests;

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "lora-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;
    public string Path { get; }
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
