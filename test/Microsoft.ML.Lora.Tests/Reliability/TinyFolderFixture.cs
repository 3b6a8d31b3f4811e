namespace Microsoft.ML.Lora.Tests.Reliability;

/// <summary>One tiny random BERT Hugging Face folder for a whole test class (xunit makes a class instance per test).</summary>
public sealed class TinyFolderFixture : IDisposable
{
    public TinyFolderFixture() => BaseFolder = TinyHuggingFaceFolder.Create(Temp);

    internal TempFolder Temp { get; } = new();

    public string BaseFolder { get; }

    public void Dispose() => Temp.Dispose();
}
