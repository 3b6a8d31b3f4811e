namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// A temporary folder made the current directory for one test, for README snippets that read and write relative paths;
/// disposing restores the previous directory and deletes the folder.
/// </summary>
internal sealed class TempWorkingDirectory : IDisposable
{
    private readonly string previous = Environment.CurrentDirectory;

    public TempWorkingDirectory() => Environment.CurrentDirectory = Folder.Path;

    public TempFolder Folder { get; } = new();

    public void Dispose()
    {
        Environment.CurrentDirectory = previous;
        Folder.Dispose();
    }
}
