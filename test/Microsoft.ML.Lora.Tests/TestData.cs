namespace Microsoft.ML.Lora.Tests;

/// <summary>Where the tests find the real data sets (the one place to change when the data moves into the repository).</summary>
internal static class TestData
{
    private const string DataFolder = "shared/data";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding the data sets (sec_filings_fin/, wnut17/, ...).</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The full path of a file under <see cref="Root"/>.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    // The shared/ folder sits beside (or above) the checkout, so look in every folder up from the test binaries.
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, DataFolder);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"No '{DataFolder}' folder found in {AppContext.BaseDirectory} or any folder above it; the data-set tests need it.");
    }
}
