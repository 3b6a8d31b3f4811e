namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// A temporary folder that is the process's current directory until dispose, for README snippets that write relative paths
/// ("adapter", "export/model.onnx") as a user's program would (tests do not run in parallel: see AssemblyInfo.cs).
/// </summary>
internal sealed class TempWorkingDirectory : IDisposable
{
    private readonly string previous = Environment.CurrentDirectory;

    public TempWorkingDirectory() => Environment.CurrentDirectory = Folder.Path;

    /// <summary>The folder, deleted at dispose.</summary>
    public TempFolder Folder { get; } = new();

    public void Dispose()
    {
        Environment.CurrentDirectory = previous;
        Folder.Dispose();
    }
}
