namespace Microsoft.ML.Lora.Tests.Native;

/// <summary>Files of the restored TorchSharp package, as NuGet extracted them (never modified by the build or the library).</summary>
internal static class TorchSharpPackageFiles
{
    /// <summary>NuGet's global packages folder: $NUGET_PACKAGES or ~/.nuget/packages.</summary>
    public static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>libLibTorchSharp.so of the referenced TorchSharp version, for linux-x64.</summary>
    public static string NativeLibrary()
    {
        string version = typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3);
        return Path.Combine(GlobalPackagesFolder(), "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }
}
